/// Registry rows of the modules from seed 004 (filled in as their files land).
extension AttentionKind {
    static let seed004Entries: [ZooEntry] = []
}

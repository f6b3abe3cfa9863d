/// Registry rows of the modules from seed 000 (filled in as their files land).
extension AttentionKind {
    static let seed000Entries: [ZooEntry] = []
}

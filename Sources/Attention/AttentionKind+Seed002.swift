/// Registry rows of the modules from seed 002 (filled in as their files land).
extension AttentionKind {
    static let seed002Entries: [ZooEntry] = []
}

/// Registry rows of seed-003 modules, group A (filled in as their files land).
extension AttentionKind {
    static let seed003AEntries: [ZooEntry] = []
}

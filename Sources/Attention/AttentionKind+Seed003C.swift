/// Registry rows of seed-003 modules, group C (filled in as their files land).
extension AttentionKind {
    static let seed003CEntries: [ZooEntry] = []
}

/// Registry rows of seed-003 modules, group B (filled in as their files land).
extension AttentionKind {
    static let seed003BEntries: [ZooEntry] = []
}

/// The registry of the zoo: every attention module by its short key.
///
/// Each module file contributes its `ZooEntry` to one of the group lists
/// (`AttentionKind+Seed002.swift`, ...); `entry` finds it, and a test checks that every case
/// has exactly one entry and every entry a case.
public enum AttentionKind: String, CaseIterable, Sendable {
    // Seed 002 (External-Attention-pytorch forms).
    case se, cbamBlock = "cbam-block", bamBlock = "bam-block", eca, sa, psaP = "psa-p", psaS = "psa-s", sge, coord, gam
    // Seeds 000/001 (SE, CBAM, BAM, SK, ResNeSt, ResNeXt as the blogs and official code write them).
    case seBlock = "se-block", cbam, bam, sk, skUnit = "sk-unit", splat, resnextBlock = "resnext-block"
    // Seeds 003/004 (taxonomy posts with code).
    case ecaAdaptive = "eca-adaptive", gsop, srm, gct, fca, enc, rcanCA = "rcan-ca", dia, soca
    // Seed 003 group A (official implementations: mmcv DCN v2, STN tutorial, non-local, timm ViT, RAM).
    case dcn, stn, nonLocal = "non-local", vit, ram
    // Seed 003 group C (official implementations).
    case simam, scse, pam, cam, triplet, stripPool = "strip-pool", scconv, gala, bilinear
    // Seed 003 group B1 (official implementations / the papers' equations).
    case highway, ge, condconv, dynconv
    // Seed 003 group B2 (official implementations).
    case residualAttention = "residual-attention", tam, gltr, psanet

    /// Every entry contributed by the module files.
    public static let entries: [ZooEntry] = seed002Entries + seed000Entries + seed004Entries + seed003AEntries
        + seed003CEntries + seed003B1Entries + seed003B2Entries

    /// This module's registry row.
    public var entry: ZooEntry {
        guard let e = Self.entries.first(where: { $0.key == rawValue }) else {
            fatalError("AttentionKind: no ZooEntry registered for key \(rawValue)")
        }
        return e
    }

    /// The kinds a `--filter` selects: exactly `key` when it is one, else every key containing it
    /// (all when nil).
    public static func matching(_ filter: String?) -> [AttentionKind] {
        guard let filter else { return allCases }
        if let exact = AttentionKind(rawValue: filter) { return [exact] }
        return allCases.filter { $0.rawValue.contains(filter) }
    }

    /// Looks a key up, throwing a readable error listing the known keys.
    public static func named(_ key: String) throws -> AttentionKind {
        guard let k = AttentionKind(rawValue: key) else {
            throw ModuleArgumentError("unknown module '\(key)' (known: \(allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        return k
    }
}

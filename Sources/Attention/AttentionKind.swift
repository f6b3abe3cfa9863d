/// The registry of the zoo: every attention module by its short key.
///
/// Each module file contributes its `ZooEntry` to one of the group lists
/// (`AttentionKind+Seed002.swift`, ...); `entry` finds it, and a test checks that every case
/// has exactly one entry and every entry a case.
public enum AttentionKind: String, CaseIterable, Sendable {
    // Issue 3: modules the seeds give code for.
    case se, seBlock = "se-block", cbam, cbamBlock = "cbam-block", bam, bamBlock = "bam-block"
    case eca, ecaAdaptive = "eca-adaptive", sa, psaP = "psa-p", psaS = "psa-s", sge, coord, gam
    case gsop, srm, gct, fca, enc, rcanCA = "rcan-ca", dia, soca
    case sk, skUnit = "sk-unit", splat, resnextBlock = "resnext-block"
    // Issue 4: the taxonomy modules of seed 003.
    case bilinear, ram, stn, dcn, nonLocal = "non-local", vit
    case ge, psanet, gltr, tam, highway, condconv, dynconv, residualAttention = "residual-attention"
    case scse, triplet, simam, pam, cam, scconv, stripPool = "strip-pool", gala

    /// Every entry contributed by the module files.
    public static let entries: [ZooEntry] = seed002Entries + seed004Entries + seed000Entries
        + seed003AEntries + seed003BEntries + seed003CEntries

    /// This module's registry row.
    public var entry: ZooEntry {
        guard let e = Self.entries.first(where: { $0.key == rawValue }) else {
            fatalError("AttentionKind: no ZooEntry registered for key \(rawValue)")
        }
        return e
    }

    /// Looks a key up, throwing a readable error listing the known keys.
    public static func named(_ key: String) throws -> AttentionKind {
        guard let k = AttentionKind(rawValue: key) else {
            throw ModuleArgumentError("unknown module '\(key)' (known: \(allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        return k
    }
}

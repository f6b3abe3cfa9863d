import Foundation

/// Small-sample statistics of the ablation experiment: mean, sample standard deviation and the
/// paired 95% confidence interval of a difference over seeds (Student's t). See docs/experiment.md.
public enum ExperimentStatistics {
    /// Two-sided 95% quantiles of Student's t, `t_{0.975, df}` for df = 1…30 (scipy.stats.t.ppf(0.975, df),
    /// 6 decimals; scripts/fixtures/t_quantiles.py prints them; a test checks them against the t CDF).
    public static let t975: [Double] = [
        12.706205, 4.302653, 3.182446, 2.776445, 2.570582, 2.446912, 2.364624, 2.306004, 2.262157, 2.228139,
        2.200985, 2.178813, 2.160369, 2.144787, 2.131450, 2.119905, 2.109816, 2.100922, 2.093024, 2.085963,
        2.079614, 2.073873, 2.068658, 2.063899, 2.059539, 2.055529, 2.051831, 2.048407, 2.045230, 2.042272,
    ]

    /// `t_{0.975, df}`: the table for df ≤ 30, above it the Cornish–Fisher expansion around the
    /// normal quantile 1.959964 (error < 1e-5 for df > 30).
    public static func tQuantile975(df: Int) -> Double {
        precondition(df >= 1, "degrees of freedom must be at least 1")
        if df <= 30 { return t975[df - 1] }
        let z = 1.959963984540054, n = Double(df)
        let g1 = (z * z * z + z) / 4
        let g2 = (5 * pow(z, 5) + 16 * z * z * z + 3 * z) / 96
        let g3 = (3 * pow(z, 7) + 19 * pow(z, 5) + 17 * z * z * z - 15 * z) / 384
        return z + g1 / n + g2 / (n * n) + g3 / (n * n * n)
    }

    public static func mean(_ x: [Double]) -> Double {
        x.isEmpty ? .nan : x.reduce(0, +) / Double(x.count)
    }

    /// Sample standard deviation (n − 1 in the denominator); NaN below two values.
    public static func sampleStd(_ x: [Double]) -> Double {
        guard x.count >= 2 else { return .nan }
        let m = mean(x)
        return (x.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(x.count - 1)).squareRoot()
    }

    /// The paired difference `a − b` over matched seeds: mean and its 95% interval
    /// `mean ± t_{0.975, n−1} · sd / √n`; nil bounds below two pairs.
    public static func pairedDifference(_ a: [Double], _ b: [Double]) -> PairedDifference {
        precondition(a.count == b.count, "paired samples need equal counts")
        let d = zip(a, b).map { $0 - $1 }
        let m = mean(d)
        guard d.count >= 2 else { return PairedDifference(mean: m, low: nil, high: nil, n: d.count) }
        let half = tQuantile975(df: d.count - 1) * sampleStd(d) / Double(d.count).squareRoot()
        return PairedDifference(mean: m, low: m - half, high: m + half, n: d.count)
    }
}

/// A paired difference with its 95% confidence interval (nil with one pair).
public struct PairedDifference: Codable, Sendable, Equatable {
    public let mean: Double
    public let low: Double?
    public let high: Double?
    public let n: Int
    /// Whether the interval contains 0 (not distinguishable from the baseline); nil without an interval.
    public var containsZero: Bool? {
        guard let low, let high else { return nil }
        return low <= 0 && 0 <= high
    }
}

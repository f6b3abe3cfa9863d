import Foundation
import Testing
@testable import Detection

/// Student's t density with `df` degrees of freedom.
private func tDensity(_ x: Double, _ df: Double) -> Double {
    exp(lgamma((df + 1) / 2) - lgamma(df / 2)) / (df * Double.pi).squareRoot() * pow(1 + x * x / df, -(df + 1) / 2)
}

/// P(T ≤ q) by composite Simpson's rule on [0, q] (the density is symmetric).
private func tCDF(_ q: Double, _ df: Double) -> Double {
    let n = 20_000, h = q / Double(n)
    var s = tDensity(0, df) + tDensity(q, df)
    for i in 1..<n { s += (i % 2 == 1 ? 4 : 2) * tDensity(Double(i) * h, df) }
    return 0.5 + s * h / 3
}

@Test("t quantiles: every table entry df 1…30 has CDF 0.975 (numerical integration), textbook values, and the expansion above 30")
func tQuantileTable() {
    #expect(ExperimentStatistics.t975.count == 30)
    for df in 1...30 {
        let q = ExperimentStatistics.tQuantile975(df: df)
        #expect(abs(tCDF(q, Double(df)) - 0.975) < 2e-6, "df \(df): q \(q) has CDF \(tCDF(q, Double(df)))")
    }
    // Textbook table (3 decimals).
    for (df, v) in [(1, 12.706), (2, 4.303), (5, 2.571), (10, 2.228), (20, 2.086), (30, 2.042)] {
        #expect(abs(ExperimentStatistics.tQuantile975(df: df) - v) < 5e-4)
    }
    for df in [31, 40, 60, 120, 1000] {
        let q = ExperimentStatistics.tQuantile975(df: df)
        #expect(abs(tCDF(q, Double(df)) - 0.975) < 1e-5, "df \(df)")
    }
}

@Test("mean, sample std (n − 1) and the paired 95% interval; an interval with 0 is not distinguishable")
func pairedInterval() {
    #expect(ExperimentStatistics.mean([1, 2, 3, 4]) == 2.5)
    #expect(abs(ExperimentStatistics.sampleStd([1, 2, 3, 4]) - (5.0 / 3).squareRoot()) < 1e-12)
    #expect(ExperimentStatistics.sampleStd([1]).isNaN)
    // d = [0.01, 0.02, 0.00]: mean 0.01, sd 0.01, half width t(2)·0.01/√3 = 0.0248414.
    let a = ExperimentStatistics.pairedDifference([0.35, 0.36, 0.34], [0.34, 0.34, 0.34])
    #expect(abs(a.mean - 0.01) < 1e-12)
    #expect(abs(a.high! - (0.01 + 4.302653 * 0.01 / 3.0.squareRoot())) < 1e-9)
    #expect(a.containsZero == true)
    // d = [0.020, 0.022, 0.018, 0.021]: clearly above 0.
    let b = ExperimentStatistics.pairedDifference([0.36, 0.362, 0.358, 0.361], [0.34, 0.34, 0.34, 0.34])
    #expect(b.containsZero == false && b.low! > 0)
    let one = ExperimentStatistics.pairedDifference([0.4], [0.3])
    #expect(one.low == nil && one.containsZero == nil)
}

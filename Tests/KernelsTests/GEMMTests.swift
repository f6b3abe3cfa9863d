import Kernels
import Testing

/// C = α·op(A)·op(B) + β·C by the definition, in Double.
private func naiveGEMM(transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float, a: [Float], b: [Float],
                       beta: Float, c: [Float]) -> [Float] {
    var out = c
    for i in 0..<m { for j in 0..<n {
        var s = 0.0
        for p in 0..<k {
            let av = transA ? a[p * m + i] : a[i * k + p], bv = transB ? b[j * k + p] : b[p * n + j]
            s += Double(av) * Double(bv)
        }
        out[i * n + j] = Float(Double(alpha) * s + Double(beta) * Double(c[i * n + j]))
    } }
    return out
}

@Test("sgemm: products split over the workers (by columns and by rows) equal the definition, every transpose",
      arguments: [(64, 200, 300), (300, 40, 250), (17, 33, 9)])
func splitGEMM(m: Int, n: Int, k: Int) {
    for transA in [false, true] { for transB in [false, true] {
        let a = pseudoRandom(m * k, 11), b = pseudoRandom(k * n, 12), c0 = pseudoRandom(m * n, 13)
        var c = c0
        c.withUnsafeMutableBufferPointer { cp in
            sgemm(transA: transA, transB: transB, m: m, n: n, k: k, alpha: 0.5, a: a, lda: transA ? m : k,
                  b: b, ldb: transB ? k : n, beta: 2, c: cp.baseAddress!, ldc: n)
        }
        let e = naiveGEMM(transA: transA, transB: transB, m: m, n: n, k: k, alpha: 0.5, a: a, b: b, beta: 2, c: c0)
        #expect(zip(c, e).allSatisfy { abs($0 - $1) <= 1e-3 + 1e-4 * abs($1) }, "transA \(transA) transB \(transB)")
    } }
}

@Test("sgemmBatched: the batch-parallel products equal the definition")
func batchedGEMM() {
    let batch = 5, m = 7, n = 9, k = 6
    let a = pseudoRandom(batch * m * k, 21), b = pseudoRandom(batch * k * n, 22)
    var c = [Float](repeating: .nan, count: batch * m * n)
    c.withUnsafeMutableBufferPointer { cp in
        sgemmBatched(batch: batch, transA: false, transB: false, m: m, n: n, k: k, a: a, strideA: m * k, b: b,
                     strideB: k * n, c: cp.baseAddress!, strideC: m * n, beta: 0)
    }
    for i in 0..<batch {
        let e = naiveGEMM(transA: false, transB: false, m: m, n: n, k: k, alpha: 1, a: Array(a[(i * m * k)..<((i + 1) * m * k)]),
                          b: Array(b[(i * k * n)..<((i + 1) * k * n)]), beta: 0, c: [Float](repeating: 0, count: m * n))
        #expect(zip(c[(i * m * n)..<((i + 1) * m * n)], e).allSatisfy { abs($0 - $1) <= 1e-4 + 1e-4 * abs($1) })
    }
}

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
      arguments: [(64, 200, 300), (300, 40, 250), (17, 33, 9), (100, 300, 70), (100, 260, 600)])
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

@Test("sgemm: a product with op(A) over 4 MB and n ≥ 512 (Faster R-CNN's fc6 shape class, on ColumnGEMM) equals the definition")
func largeAGEMM() {
    let m = 100, n = 512, k = 10_500   // m·k just above 2²⁰
    for transB in [false, true] {
        let a = pseudoRandom(m * k, 21), b = pseudoRandom(k * n, 22), c0 = pseudoRandom(m * n, 23)
        var c = c0
        c.withUnsafeMutableBufferPointer { cp in
            sgemm(transA: false, transB: transB, m: m, n: n, k: k, alpha: 1, a: a, lda: k, b: b, ldb: transB ? k : n, beta: 0,
                  c: cp.baseAddress!, ldc: n)
        }
        let e = naiveGEMM(transA: false, transB: transB, m: m, n: n, k: k, alpha: 1, a: a, b: b, beta: 0, c: c0)
        #expect(zip(c, e).allSatisfy { abs($0 - $1) <= 1e-3 + 1e-4 * abs($1) }, "transB \(transB)")
    }
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

@Test("ColumnGEMM: one product over column blocks of several images equals the definition (transposes, α, β, bias, tiles across images, two KC blocks)",
      .enabled(if: ColumnGEMM.available), arguments: [(13, 37, 17, 3), (25, 600, 49, 2), (1, 5, 16, 5), (40, 64, 70, 1), (12, 513, 33, 4), (200, 100, 50, 3)])
func columnGEMM(m: Int, k: Int, columns: Int, images: Int) {
    for transA in [false, true] { for (beta, bias) in [(Float(0), false), (0.5, true), (1, false)] {
        let ldb = columns + 3, ldc = columns + 1, bStride = k * ldb + 5, cStride = m * ldc + 2
        let a = pseudoRandom(m * k, 31), b = pseudoRandom(images * bStride, 32), c0 = pseudoRandom(images * cStride, 33)
        let bv = pseudoRandom(m, 34)
        var c = c0
        c.withUnsafeMutableBufferPointer { cp in
            bv.withUnsafeBufferPointer { bp in
                ColumnGEMM.multiply(transA: transA, m: m, k: k, alpha: 0.75, a: a, lda: transA ? m : k, b: b, ldb: ldb,
                                    bStride: bStride, columns: columns, images: images, beta: beta,
                                    bias: bias ? bp.baseAddress! : nil, c: cp.baseAddress!, ldc: ldc, cStride: cStride)
            }
        }
        for n in 0..<images {
            var bn = [Float](), cn = [Float]()
            for p in 0..<k { bn += b[(n * bStride + p * ldb)..<(n * bStride + p * ldb + columns)] }
            for i in 0..<m { cn += c0[(n * cStride + i * ldc)..<(n * cStride + i * ldc + columns)] }
            let e = naiveGEMM(transA: transA, transB: false, m: m, n: columns, k: k, alpha: 0.75, a: a, b: bn, beta: beta, c: cn)
            for i in 0..<m { for j in 0..<columns {
                let want = e[i * columns + j] + (bias ? bv[i] : 0), got = c[n * cStride + i * ldc + j]
                #expect(abs(got - want) <= 1e-3 + 1e-4 * abs(want), "image \(n) (\(i), \(j)) transA \(transA) beta \(beta)")
            } }
            // The padding after each row is left alone.
            for i in 0..<m { #expect(c[n * cStride + i * ldc + columns] == c0[n * cStride + i * ldc + columns]) }
        }
    } }
}

@Test("symmetricProductSerial: A·Aᵀ (upper triangle by ssyrk, mirrored) equals the definition", arguments: [(37, 50), (64, 16), (1, 3), (33, 0)])
func symmetricProduct(n: Int, k: Int) {
    let lda = k + 2, ldc = n + 3
    let a = pseudoRandom(max(1, n * lda), 41)
    var c = [Float](repeating: .nan, count: n * ldc)
    c.withUnsafeMutableBufferPointer { symmetricProductSerial(n: n, k: k, a: a, lda: lda, c: $0.baseAddress!, ldc: ldc) }
    for i in 0..<n { for j in 0..<n {
        var s = 0.0
        for p in 0..<k { s += Double(a[i * lda + p]) * Double(a[j * lda + p]) }
        #expect(abs(Double(c[i * ldc + j]) - s) <= 1e-4 + 1e-4 * abs(s), "(\(i), \(j))")
    } }
}

@Test("ColumnGEMM: a depth over segments (aSegment, bSegment) gives the bits of the segments copied side by side",
      arguments: [(40, 35, 57, 10), (100, 64, 200, 8), (24, 16, 16, 5)])
func segmentedDepthGEMM(m: Int, columns: Int, seg: Int, images: Int) {
    guard ColumnGEMM.available else { return }
    // Segment n of A's row i at n·aStride + i·seg (rows of one image adjacent, images apart by a gap),
    // and likewise for B's rows: Σ_n A_n · B_nᵀ, as a weight gradient sums its images.
    let aStride = (m + 3) * seg, bStride = (columns + 2) * seg, k = images * seg
    let a = pseudoRandom(images * aStride, 31), b = pseudoRandom(images * bStride, 32), c0 = pseudoRandom(m * columns, 33)
    var ac = [Float](repeating: 0, count: m * k), bc = [Float](repeating: 0, count: columns * k)
    for n in 0..<images {
        for i in 0..<m { for p in 0..<seg { ac[i * k + n * seg + p] = a[n * aStride + i * seg + p] } }
        for j in 0..<columns { for p in 0..<seg { bc[j * k + n * seg + p] = b[n * bStride + j * seg + p] } }
    }
    func product(_ a: [Float], _ lda: Int, _ b: [Float], _ ldb: Int, _ aSeg: (length: Int, stride: Int)?,
                 _ bSeg: (length: Int, stride: Int)?) -> [Float] {
        var c = c0
        c.withUnsafeMutableBufferPointer { cp in
            ColumnGEMM.multiply(transA: false, transB: true, m: m, k: k, alpha: 0.5, a: a, lda: lda, b: b, ldb: ldb, bStride: 0,
                                columns: columns, images: 1, beta: 1, bias: nil, c: cp.baseAddress!, ldc: columns, cStride: 0,
                                aSegment: aSeg, bSegment: bSeg)
        }
        return c
    }
    let copies = product(ac, k, bc, k, nil, nil)
    let e = naiveGEMM(transA: false, transB: true, m: m, n: columns, k: k, alpha: 0.5, a: ac, b: bc, beta: 1, c: c0)
    #expect(zip(copies, e).allSatisfy { abs($0 - $1) <= 1e-3 + 1e-4 * abs($1) }, "the copies against the definition")
    #expect(product(a, seg, b, seg, (seg, aStride), (seg, bStride)) == copies, "both segmented")
    #expect(product(a, seg, bc, k, (seg, aStride), nil) == copies, "A segmented")
    #expect(product(ac, k, b, seg, nil, (seg, bStride)) == copies, "B segmented")
}

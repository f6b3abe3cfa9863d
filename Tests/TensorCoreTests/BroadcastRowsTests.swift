import TensorCore
import Testing

/// x[o][j] ⊕ s[o] (or s[o] ⊕ x[o][j]) by the definition.
private func rowsDefinition(_ x: [Float], _ s: [Float], inner: Int, scalarFirst: Bool, _ f: (Float, Float) -> Float) -> [Float] {
    (0..<x.count).map { i in scalarFirst ? f(s[i / inner], x[i]) : f(x[i], s[i / inner]) }
}

@Test("row-broadcast + − × ÷ ((N, C, H, W) with (N, C, 1, 1), both orders) equal the definition, row lengths off the vector width",
      arguments: [[3, 5, 7, 7], [2, 3, 4, 4], [2, 2, 1, 17], [1, 4, 3, 11]])
func broadcastRows(shape: [Int]) {
    let n = shape.reduce(1, *), rows = shape[0] * shape[1], inner = n / rows
    let x = (0..<n).map { Float(($0 * 37) % 101) / 50 - 1 }, s = (0..<rows).map { Float(($0 * 13) % 29) / 10 + 0.3 }
    let tx = Tensor(x, shape: shape), ts = Tensor(s, shape: [shape[0], shape[1], 1, 1])
    let ops: [(String, (Tensor, Tensor) -> Tensor, (Float, Float) -> Float)] = [
        ("+", { $0 + $1 }, { $0 + $1 }), ("−", { $0 - $1 }, { $0 - $1 }),
        ("×", { $0 * $1 }, { $0 * $1 }), ("÷", { $0 / $1 }, { $0 / $1 }),
    ]
    for (name, op, f) in ops {
        #expect(op(tx, ts).scalars == rowsDefinition(x, s, inner: inner, scalarFirst: false, f), "x \(name) s")
        #expect(op(ts, tx).scalars == rowsDefinition(x, s, inner: inner, scalarFirst: true, f), "s \(name) x")
        #expect(op(ts, tx).shape == shape)
    }
}

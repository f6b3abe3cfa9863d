import Kernels

extension Tensor {
    /// `x · Wᵀ + b` over the last axis (`torch.nn.functional.linear`): x (…, in), W (out, in).
    public func linear(weight: Tensor, bias: Tensor? = nil) -> Tensor {
        checkShape(rank >= 1 && weight.rank == 2 && shape[rank - 1] == weight.shape[1],
                   "linear: input \(shape) does not match weight \(weight.shape)")
        if let bias { checkShape(bias.count == weight.shape[0], "linear: bias \(bias.shape) does not match weight \(weight.shape)") }
        let inF = weight.shape[1], outF = weight.shape[0], m = count / Swift.max(inF, 1)
        let out = Tensor(uninitializedShape: Array(shape.dropLast()) + [outF])
        MACCounter.record(m * inF * outF)
        sgemm(transA: false, transB: true, m: m, n: outF, k: inF, alpha: 1, a: data, lda: inF,
              b: weight.data, ldb: inF, beta: 0, c: out.data, ldc: outF)
        if let bias { let b = bias.data, o = out.data; for i in 0..<m { for j in 0..<outF { o[i * outF + j] += b[j] } } }
        var inputs = [self, weight]
        if let bias { inputs.append(bias) }
        let input = self
        // dX = G·W, dW = Gᵀ·X, db = Σ G
        return Tensor.differentiable("linear", inputs: inputs, output: out) { g in
            var r: [Tensor?] = [nil, nil]
            if input.requiresGrad {
                let gx = Tensor(uninitializedShape: input.shape)
                sgemm(transA: false, transB: false, m: m, n: inF, k: outF, alpha: 1, a: g.data, lda: outF,
                      b: weight.data, ldb: inF, beta: 0, c: gx.data, ldc: inF)
                r[0] = gx
            }
            if weight.requiresGrad {
                let gw = Tensor(uninitializedShape: weight.shape)
                sgemm(transA: true, transB: false, m: outF, n: inF, k: m, alpha: 1, a: g.data, lda: outF,
                      b: input.data, ldb: inF, beta: 0, c: gw.data, ldc: inF)
                r[1] = gw
            }
            if let bias { r.append(bias.requiresGrad ? g.reshaped([m, outF]).sum(axes: [0]).reshaped(bias.shape) : nil) }
            return r
        }
    }
}

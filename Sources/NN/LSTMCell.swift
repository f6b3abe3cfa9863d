import TensorCore

/// One LSTM step (torch.nn.LSTMCell): gates i, f, g, o from `x·W_ihᵀ + b_ih + h·W_hhᵀ + b_hh`;
/// `c' = f·c + i·g`, `h' = o·tanh(c')`. Keys `weight_ih`, `weight_hh`, `bias_ih`, `bias_hh`.
public final class LSTMCell: Module, @unchecked Sendable {
    public let weightIh: Parameter
    public let weightHh: Parameter
    public let biasIh: Parameter?
    public let biasHh: Parameter?
    public let hiddenSize: Int

    public init(inputSize: Int, hiddenSize: Int, bias: Bool = true) {
        self.hiddenSize = hiddenSize
        let bound = 1 / Float(hiddenSize).squareRoot()
        weightIh = Parameter(Tensor.rand([4 * hiddenSize, inputSize], low: -bound, high: bound))
        weightHh = Parameter(Tensor.rand([4 * hiddenSize, hiddenSize], low: -bound, high: bound))
        biasIh = bias ? Parameter(Tensor.rand([4 * hiddenSize], low: -bound, high: bound)) : nil
        biasHh = bias ? Parameter(Tensor.rand([4 * hiddenSize], low: -bound, high: bound)) : nil
        super.init()
    }

    /// One step from `state` (zeros when nil); returns the new (h, c).
    public func callAsFunction(_ x: Tensor, _ state: (h: Tensor, c: Tensor)?) -> (h: Tensor, c: Tensor) {
        checkShape(x.rank == 2 && x.shape[1] == weightIh.shape[1], "LSTMCell: input \(x.shape) is not (N, \(weightIh.shape[1]))")
        let n = x.shape[0]
        let h = state?.h ?? Tensor.zeros([n, hiddenSize]), c = state?.c ?? Tensor.zeros([n, hiddenSize])
        let gates = x.linear(weight: weightIh.value, bias: biasIh?.value) + h.linear(weight: weightHh.value, bias: biasHh?.value)
        let parts = gates.chunked(4, axis: 1)
        let i = parts[0].sigmoid(), f = parts[1].sigmoid(), g = parts[2].tanh(), o = parts[3].sigmoid()
        let c2 = f * c + i * g
        return (o * c2.tanh(), c2)
    }

    /// The hidden state after one step from zeros.
    public override func forward(_ x: Tensor) -> Tensor { self(x, nil).h }
}

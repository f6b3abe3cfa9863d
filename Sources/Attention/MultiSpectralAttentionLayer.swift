import Foundation
import NN
import TensorCore

/// Frequency channel attention, FcaNet (catalogue D13).
///
/// Paper: Qin et al., "FcaNet: Frequency Channel Attention Networks", ICCV 2021, https://arxiv.org/abs/2012.11879
/// ```
/// X' = X, or AdaptiveAvgPool(X) to (dct_h, dct_w) when the size differs
/// z_c = Σ_hw X'_c · B_c          B_c: 2-D DCT basis of the frequency of channel c's group
/// Y = X ⊙ σ(W₂ δ(W₁ z))
/// ```
/// Frequencies: `freq_sel_method` ∈ {top,bot,low}{1,2,4,8,16,32}; the 7×7-grid indices are scaled by
/// dct_h/7 and dct_w/7 (integer division); C must be divisible by the number of frequencies.
/// Shapes: (N, C, H, W) → (N, C, H, W).
/// State-dict keys: `dct_layer.weight` (C, dct_h, dct_w) (a buffer, fixed DCT filters), `fc.0.weight`, `fc.2.weight`.
/// Reference: seed 004 `MultiSpectralAttentionLayer`; official cfzd/FcaNet `model/layer.py`.
public final class MultiSpectralAttentionLayer: Module, @unchecked Sendable {
    /// The fixed DCT filter bank, `weight` registered as a buffer as in the official code.
    public final class MultiSpectralDCTLayer: Module, @unchecked Sendable {
        public let weight: Buffer

        public init(height: Int, width: Int, mapperX: [Int], mapperY: [Int], channel: Int) {
            weight = Buffer(MultiSpectralDCTLayer.dctFilter(height, width, mapperX, mapperY, channel))
            super.init()
        }

        static func basis(_ pos: Int, _ freq: Int, _ count: Int) -> Double {
            let r = cos(Double.pi * Double(freq) * (Double(pos) + 0.5) / Double(count)) / Double(count).squareRoot()
            return freq == 0 ? r : r * 2.0.squareRoot()
        }

        static func dctFilter(_ h: Int, _ w: Int, _ mx: [Int], _ my: [Int], _ channel: Int) -> Tensor {
            var values = [Float](repeating: 0, count: channel * h * w)
            let part = channel / mx.count
            for (i, (u, v)) in zip(mx, my).enumerated() {
                for tx in 0..<h { for ty in 0..<w {
                    let f = Float(basis(tx, u, h) * basis(ty, v, w))
                    for c in (i * part)..<((i + 1) * part) { values[(c * h + tx) * w + ty] = f }
                } }
            }
            return Tensor(values, shape: [channel, h, w])
        }

        /// Σ_hw x · weight per (n, c), fused: one pass, no (N, C, H, W) temporary; the filters are fixed,
        /// so only the input gets a gradient (g[n, c] · weight[c]).
        public override func forward(_ x: Tensor) -> Tensor {
            let w = weight.value
            checkShape(x.rank == 4 && Array(x.shape[1...]) == w.shape,
                       "MultiSpectralDCTLayer: input \(x.shape) does not match the filters \(w.shape)")
            let n = x.shape[0], c = x.shape[1], hw = x.shape[2] * x.shape[3]
            let out = Tensor(uninitializedShape: [n, c])
            let xp = UncheckedPointer(x.data), wp = UncheckedPointer(w.data), op = UncheckedPointer(out.data)
            RowKernels.forRows(n * c, rowLength: hw) { range in
                for i in range { op.p[i] = RowKernels.dot(xp.p + i * hw, wp.p + (i % c) * hw, hw) }
            }
            return Tensor.differentiable("dctPool", inputs: [x], output: out) { g in
                [g.reshaped(n, c, 1, 1) * w]
            }
        }
    }

    /// The accepted `freq_sel_method` values.
    public static let frequencyMethods: [String] = ["top", "bot", "low"].flatMap { p in [1, 2, 4, 8, 16, 32].map { "\(p)\($0)" } }

    public let dctLayer: MultiSpectralDCTLayer
    public let fc: Sequential
    public let dctH: Int, dctW: Int

    /// Creates the layer; `freqSelMethod` must be one of `frequencyMethods` and divide `channel`.
    public init(channel: Int, dctH: Int, dctW: Int, reduction: Int = 16, freqSelMethod: String = "top16") {
        let (mx, my) = MultiSpectralAttentionLayer.frequencyIndices(freqSelMethod)
        self.dctH = dctH
        self.dctW = dctW
        dctLayer = MultiSpectralDCTLayer(height: dctH, width: dctW, mapperX: mx.map { $0 * (dctH / 7) },
                                         mapperY: my.map { $0 * (dctW / 7) }, channel: channel)
        fc = Sequential(Linear(inFeatures: channel, outFeatures: channel / reduction, bias: false), ReLU(),
                        Linear(inFeatures: channel / reduction, outFeatures: channel, bias: false), Sigmoid())
        super.init()
    }

    /// `get_freq_indices`: the first n (x, y) frequencies of the 7×7 grid of the named ranking.
    public static func frequencyIndices(_ method: String) -> ([Int], [Int]) {
        let top = ([0, 0, 6, 0, 0, 1, 1, 4, 5, 1, 3, 0, 0, 0, 3, 2, 4, 6, 3, 5, 5, 2, 6, 5, 5, 3, 3, 4, 2, 2, 6, 1],
                   [0, 1, 0, 5, 2, 0, 2, 0, 0, 6, 0, 4, 6, 3, 5, 2, 6, 3, 3, 3, 5, 1, 1, 2, 4, 2, 1, 1, 3, 0, 5, 3])
        let low = ([0, 0, 1, 1, 0, 2, 2, 1, 2, 0, 3, 4, 0, 1, 3, 0, 1, 2, 3, 4, 5, 0, 1, 2, 3, 4, 5, 6, 1, 2, 3, 4],
                   [0, 1, 0, 1, 2, 0, 1, 2, 2, 3, 0, 0, 4, 3, 1, 5, 4, 3, 2, 1, 0, 6, 5, 4, 3, 2, 1, 0, 6, 5, 4, 3])
        let bot = ([6, 1, 3, 3, 2, 4, 1, 2, 4, 4, 5, 1, 4, 6, 2, 5, 6, 1, 6, 2, 2, 4, 3, 3, 5, 5, 6, 2, 5, 5, 3, 6],
                   [6, 4, 4, 6, 6, 3, 1, 4, 4, 5, 6, 5, 2, 2, 5, 1, 4, 3, 5, 0, 3, 1, 1, 2, 4, 2, 1, 1, 5, 3, 3, 3])
        precondition(frequencyMethods.contains(method), "MultiSpectralAttentionLayer: unknown freq_sel_method \(method)")
        let n = Int(method.dropFirst(3))!
        let table = method.hasPrefix("top") ? top : (method.hasPrefix("low") ? low : bot)
        return (Array(table.0.prefix(n)), Array(table.1.prefix(n)))
    }

    public override func forward(_ x: Tensor) -> Tensor {
        let n = x.shape[0], c = x.shape[1]
        let pooled = (x.shape[2] != dctH || x.shape[3] != dctW) ? x.adaptiveAvgPool2d(outputSize: (dctH, dctW)) : x
        return x.channelGated(fc(dctLayer(pooled)).reshaped(n, c, 1, 1))
    }
}

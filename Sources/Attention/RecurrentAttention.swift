import NN
import TensorCore

/// Recurrent attention model, RAM (catalogue D19): a glimpse sensor reads multi-resolution patches
/// around a location, an RNN core integrates the glimpses, a location network chooses where to look
/// next and an action network classifies after the last glimpse.
///
/// Paper: Mnih et al., "Recurrent Models of Visual Attention", NeurIPS 2014, https://arxiv.org/abs/1406.6247
/// ```
/// ρ(x, l) = cat_{i<k} avgpool_{s^i}(crop(x, l, g·s^i))                       retina
/// g_t = relu(fc3(relu(fc1(ρ(x, l_{t−1})))) + fc4(relu(fc2(l_{t−1}))))        glimpse network
/// h_t = relu(i2h(g_t) + h2h(h_{t−1}))                                        core
/// l_t = clamp(tanh(fc_lt(relu(fc(h_t)))), −1, 1)                              location (mean)
/// y = log_softmax(classifier(h_T))                                           action
/// ```
/// Shapes: (N, c, H, W) → (N, num_classes) log-probabilities after `num_glimpses` glimpses.
/// State-dict keys: `sensor.fc1..fc4.*`, `rnn.i2h.*`, `rnn.h2h.*`, `locator.fc.*`, `locator.fc_lt.*`,
/// `classifier.fc.*`, `baseliner.fc.*` (the baseline is kept for the keys; the forward pass does
/// not use it).
/// Reference: kevinzakka/recurrent-visual-attention `model.py` / `modules.py`
/// (`RecurrentAttention`, `Retina`, `GlimpseNetwork`, `CoreNetwork`, `LocationNetwork`,
/// `ActionNetwork`, `BaselineNetwork`).
/// Deviation: deterministic: the location is the policy's mean (no Gaussian sample, no log π) and
/// the first location is the image centre (0, 0) instead of U(−1, 1); `num_glimpses` (a trainer
/// setting there) is a constructor argument. As in the reference, l_t is detached, so the
/// location network receives no gradient from the classification output.
/// Quirk: the reference denormalises both coordinates with the image height H (patch corner
/// ⌊(l + 1)·H / 2⌋ in an image zero-padded by size/2), kept here; patch sizes must be even.
public final class RecurrentAttention: Module, @unchecked Sendable {
    /// Glimpse network with its retina (the retina has no parameters).
    public final class GlimpseNetwork: Module, @unchecked Sendable {
        public let fc1: Linear, fc2: Linear, fc3: Linear, fc4: Linear
        public let g: Int, k: Int, s: Float

        public init(hG: Int, hL: Int, g: Int, k: Int, s: Float, c: Int) {
            fc1 = Linear(inFeatures: k * g * g * c, outFeatures: hG)
            fc2 = Linear(inFeatures: 2, outFeatures: hL)
            fc3 = Linear(inFeatures: hG, outFeatures: hG + hL)
            fc4 = Linear(inFeatures: hL, outFeatures: hG + hL)
            self.g = g; self.k = k; self.s = s
            super.init()
        }

        /// Patch sizes g, ⌊s·g⌋, ⌊s·⌊s·g⌋⌋, … as the reference's `int(self.s * size)`.
        public static func patchSizes(g: Int, k: Int, s: Float) -> [Int] {
            var sizes: [Int] = [], size = g
            for _ in 0..<k { sizes.append(size); size = Int(s * Float(size)) }
            return sizes
        }

        /// The retina ρ(x, l): (N, k·C·g·g).
        public func foveate(_ x: Tensor, _ l: Tensor) -> Tensor {
            let n = x.shape[0], h = x.shape[2]
            let ls = l.scalars
            // Reference: start = (0.5 * ((l + 1) * H)).long() in the image padded by size // 2.
            let starts = (0..<n).map { i in
                (col: Int(Float(0.5) * ((ls[2 * i] + 1) * Float(h))), row: Int(Float(0.5) * ((ls[2 * i + 1] + 1) * Float(h))))
            }
            let phi = Self.patchSizes(g: g, k: k, s: s).map { size -> Tensor in
                let patch = RecurrentAttention.crop(x, starts: starts, size: size)
                return size == g ? patch : patch.avgPool2d(kernelSize: (size / g, size / g))
            }
            return Tensor.cat(phi, axis: 1).reshaped(n, -1)
        }

        /// g_t from the image and the previous location (N, 2).
        public func forward(_ x: Tensor, _ l: Tensor) -> Tensor {
            let what = fc3(fc1(foveate(x, l)).relu())
            let whereFeatures = fc4(fc2(l).relu())
            return (what + whereFeatures).relu()
        }
    }

    /// h_t = relu(i2h(g_t) + h2h(h_{t−1})).
    public final class CoreNetwork: Module, @unchecked Sendable {
        public let i2h: Linear, h2h: Linear

        public init(inputSize: Int, hiddenSize: Int) {
            i2h = Linear(inFeatures: inputSize, outFeatures: hiddenSize)
            h2h = Linear(inFeatures: hiddenSize, outFeatures: hiddenSize)
            super.init()
        }

        public func forward(_ g: Tensor, _ h: Tensor) -> Tensor { (i2h(g) + h2h(h)).relu() }
    }

    /// The location policy's mean, detached: clamp(tanh(fc_lt(relu(fc(h)))), −1, 1).
    public final class LocationNetwork: Module, @unchecked Sendable {
        public let fc: Linear, fcLt: Linear

        public init(inputSize: Int, outputSize: Int) {
            fc = Linear(inFeatures: inputSize, outFeatures: inputSize / 2)
            fcLt = Linear(inFeatures: inputSize / 2, outFeatures: outputSize)
            super.init()
        }

        public override func forward(_ h: Tensor) -> Tensor {
            fcLt(fc(h.detach()).relu()).tanh().clamp(min: -1, max: 1).detach()
        }
    }

    /// One linear layer `fc` (the action network's logits, or the baseline).
    public final class Head: Module, @unchecked Sendable {
        public let fc: Linear

        public init(inputSize: Int, outputSize: Int) {
            fc = Linear(inFeatures: inputSize, outFeatures: outputSize)
            super.init()
        }

        public override func forward(_ h: Tensor) -> Tensor { fc(h) }
    }

    public let sensor: GlimpseNetwork
    public let rnn: CoreNetwork
    public let locator: LocationNetwork
    public let classifier: Head
    public let baseliner: Head
    public let hiddenSize: Int, numGlimpses: Int

    public init(g: Int = 8, k: Int = 3, s: Float = 2, c: Int = 1, hG: Int = 128, hL: Int = 128, hiddenSize: Int = 256,
                numClasses: Int = 10, numGlimpses: Int = 6) {
        sensor = GlimpseNetwork(hG: hG, hL: hL, g: g, k: k, s: s, c: c)
        rnn = CoreNetwork(inputSize: hiddenSize, hiddenSize: hiddenSize)
        locator = LocationNetwork(inputSize: hiddenSize, outputSize: 2)
        classifier = Head(inputSize: hiddenSize, outputSize: numClasses)
        baseliner = Head(inputSize: hiddenSize, outputSize: 1)
        self.hiddenSize = hiddenSize; self.numGlimpses = numGlimpses
        super.init()
    }

    /// Class log-probabilities and the locations l_0 … l_{T−1} looked at (each (N, 2)).
    public func forwardWithLocations(_ x: Tensor) -> (logProbs: Tensor, locations: [Tensor]) {
        let n = x.shape[0]
        var l = Tensor.zeros([n, 2]), h = Tensor.zeros([n, hiddenSize])
        var locations: [Tensor] = []
        for _ in 0..<numGlimpses {
            locations.append(l)
            h = rnn.forward(sensor.forward(x, l), h)
            l = locator(h)
        }
        return (classifier(h).logSoftmax(axis: 1), locations)
    }

    public override func forward(_ x: Tensor) -> Tensor { forwardWithLocations(x).logProbs }

    /// Square patches (N, C, size, size) with top-left corners `starts` in the image zero-padded by
    /// size / 2 on every side; reads zeros outside the image. Differentiable in `x`.
    static func crop(_ x: Tensor, starts: [(col: Int, row: Int)], size: Int) -> Tensor {
        let n = x.shape[0], c = x.shape[1], h = x.shape[2], w = x.shape[3], pad = size / 2
        let out = Tensor.zeros([n, c, size, size])
        // Per sample: the in-image window [r0, r1) × [c0, c1) of the patch, in patch coordinates.
        func window(_ i: Int) -> (r0: Int, r1: Int, c0: Int, c1: Int, y: Int, x: Int) {
            let y = starts[i].row - pad, xx = starts[i].col - pad
            return (Swift.max(0, -y), Swift.min(size, h - y), Swift.max(0, -xx), Swift.min(size, w - xx), y, xx)
        }
        let src = x.data, dst = out.data
        for i in 0..<n {
            let win = window(i)
            guard win.r0 < win.r1, win.c0 < win.c1 else { continue }
            for ch in 0..<c {
                let sBase = src + (i * c + ch) * h * w, dBase = dst + (i * c + ch) * size * size
                for r in win.r0..<win.r1 {
                    (dBase + r * size + win.c0).update(from: sBase + (win.y + r) * w + win.x + win.c0, count: win.c1 - win.c0)
                }
            }
        }
        return Tensor.differentiable("ram_crop", inputs: [x], output: out) { g in
            let gx = Tensor.zeros(x.shape)
            let gs = g.data, gd = gx.data
            for i in 0..<n {
                let win = window(i)
                guard win.r0 < win.r1, win.c0 < win.c1 else { continue }
                for ch in 0..<c {
                    let dBase = gd + (i * c + ch) * h * w, sBase = gs + (i * c + ch) * size * size
                    for r in win.r0..<win.r1 {
                        let d = dBase + (win.y + r) * w + win.x, s = sBase + r * size
                        for cc in win.c0..<win.c1 { d[cc] += s[cc] }
                    }
                }
            }
            return [gx]
        }
    }
}

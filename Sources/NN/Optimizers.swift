import Foundation
import TensorCore

/// An optimizer over parameters; updates write into the parameters' storage in place.
public protocol Optimizer: AnyObject {
    var parameters: [Parameter] { get }
    var learningRate: Float { get set }
    /// One update from the accumulated gradients (parameters without a gradient are skipped).
    func step()
}

extension Optimizer {
    public func zeroGrad() { for p in parameters { p.zeroGrad() } }
}

/// Stochastic gradient descent with momentum, dampening, Nesterov and weight decay, exactly as
/// torch.optim.SGD (the momentum buffer starts as the first gradient).
public final class SGD: Optimizer {
    public let parameters: [Parameter]
    public var learningRate: Float
    public let momentum: Float, dampening: Float, weightDecay: Float, nesterov: Bool
    private var buffers: [ObjectIdentifier: [Float]] = [:]

    public init(_ parameters: [Parameter], lr: Float, momentum: Float = 0, dampening: Float = 0,
                weightDecay: Float = 0, nesterov: Bool = false) {
        precondition(!nesterov || (momentum > 0 && dampening == 0), "SGD: Nesterov needs momentum > 0 and zero dampening")
        self.parameters = parameters; learningRate = lr; self.momentum = momentum
        self.dampening = dampening; self.weightDecay = weightDecay; self.nesterov = nesterov
    }

    /// The momentum buffer of `parameter` (`state[p]['momentum_buffer']`), nil before its first
    /// step or without momentum. Checkpoints save these.
    public func momentumBuffer(for parameter: Parameter) -> [Float]? { buffers[ObjectIdentifier(parameter)] }

    /// Restores (or with nil clears) the momentum buffer of `parameter`; the count must match.
    public func setMomentumBuffer(_ buffer: [Float]?, for parameter: Parameter) {
        precondition(buffer == nil || buffer!.count == parameter.value.count,
                     "SGD.setMomentumBuffer: \(buffer?.count ?? 0) values for a parameter of \(parameter.value.count)")
        buffers[ObjectIdentifier(parameter)] = buffer
    }

    public func step() {
        for p in parameters {
            guard let grad = p.grad else { continue }
            let w = p.value.data, g = grad.data, n = p.value.count
            var d = [Float](repeating: 0, count: n)
            for i in 0..<n { d[i] = g[i] + weightDecay * w[i] }
            if momentum != 0 {
                let key = ObjectIdentifier(p)
                if var buf = buffers[key] {
                    for i in 0..<n { buf[i] = momentum * buf[i] + (1 - dampening) * d[i] }
                    buffers[key] = buf
                } else {
                    buffers[key] = d
                }
                let buf = buffers[key]!
                if nesterov { for i in 0..<n { d[i] += momentum * buf[i] } } else { d = buf }
            }
            for i in 0..<n { w[i] -= learningRate * d[i] }
        }
    }
}

/// Adam and AdamW (decoupled weight decay) as torch.optim.Adam / AdamW, with optional AMSGrad.
public final class Adam: Optimizer {
    public let parameters: [Parameter]
    public var learningRate: Float
    public let beta1: Float, beta2: Float, eps: Float, weightDecay: Float, decoupled: Bool, amsgrad: Bool
    private var state: [ObjectIdentifier: (m: [Float], v: [Float], vmax: [Float], t: Int)] = [:]

    public init(_ parameters: [Parameter], lr: Float = 1e-3, betas: (Float, Float) = (0.9, 0.999), eps: Float = 1e-8,
                weightDecay: Float = 0, amsgrad: Bool = false, decoupledWeightDecay: Bool = false) {
        self.parameters = parameters; learningRate = lr; beta1 = betas.0; beta2 = betas.1; self.eps = eps
        self.weightDecay = weightDecay; decoupled = decoupledWeightDecay; self.amsgrad = amsgrad
    }

    public func step() {
        for p in parameters {
            guard let grad = p.grad else { continue }
            let w = p.value.data, g = grad.data, n = p.value.count
            let key = ObjectIdentifier(p)
            var s = state[key] ?? ([Float](repeating: 0, count: n), [Float](repeating: 0, count: n), [Float](repeating: 0, count: n), 0)
            s.t += 1
            let bc1 = 1 - Foundation.pow(Double(beta1), Double(s.t)), bc2 = 1 - Foundation.pow(Double(beta2), Double(s.t))
            let stepSize = Float(Double(learningRate) / bc1)
            let bc2Sqrt = Float(bc2.squareRoot())
            for i in 0..<n {
                var gi = g[i]
                if decoupled { w[i] *= 1 - learningRate * weightDecay } else { gi += weightDecay * w[i] }
                s.m[i] = beta1 * s.m[i] + (1 - beta1) * gi
                s.v[i] = beta2 * s.v[i] + (1 - beta2) * gi * gi
                var v = s.v[i]
                if amsgrad { s.vmax[i] = Swift.max(s.vmax[i], v); v = s.vmax[i] }
                let denom = v.squareRoot() / bc2Sqrt + eps
                w[i] -= stepSize * s.m[i] / denom
            }
            state[key] = s
        }
    }
}

/// AdamW: Adam with decoupled weight decay (default 0.01), as torch.optim.AdamW.
public func AdamW(_ parameters: [Parameter], lr: Float = 1e-3, betas: (Float, Float) = (0.9, 0.999), eps: Float = 1e-8,
                  weightDecay: Float = 0.01, amsgrad: Bool = false) -> Adam {
    Adam(parameters, lr: lr, betas: betas, eps: eps, weightDecay: weightDecay, amsgrad: amsgrad, decoupledWeightDecay: true)
}

/// Learning-rate schedules as functions of the epoch (step count), composable.
public enum LRSchedule: Sendable {
    /// lr·γ^⌊epoch/stepSize⌋ (StepLR).
    case step(stepSize: Int, gamma: Float)
    /// η_min + (lr − η_min)(1 + cos(π·epoch/T_max))/2 (CosineAnnealingLR, closed form).
    case cosine(tMax: Int, etaMin: Float)
    /// Linear warm-up of the factor from `startFactor` to 1 over `iterations` (LinearLR).
    indirect case warmup(startFactor: Float, iterations: Int, then: LRSchedule?)

    /// The learning rate at `epoch` for base rate `base`.
    public func rate(base: Float, epoch: Int) -> Float {
        switch self {
        case .step(let s, let g): return base * Foundation.pow(g, Float(epoch / s))
        case .cosine(let tMax, let etaMin):
            return etaMin + (base - etaMin) * (1 + Foundation.cos(Float.pi * Float(epoch) / Float(tMax))) / 2
        case .warmup(let start, let iters, let then):
            let f = epoch >= iters ? 1 : start + (1 - start) * Float(epoch) / Float(iters)
            return f * (then?.rate(base: base, epoch: epoch) ?? base)
        }
    }

    /// Sets `optimizer`'s rate for `epoch`.
    public func apply(to optimizer: Optimizer, base: Float, epoch: Int) {
        optimizer.learningRate = rate(base: base, epoch: epoch)
    }
}

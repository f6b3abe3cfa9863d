import Backbones
import Boxes
import Foundation
import NN
import TensorCore
import TensorIO

/// What one plugged module does to a validation image: the module's gate at the last block of
/// stage 3 (or of the placement's last stage when 3 is not in it).
///
/// The gate shown is the per-pixel least-squares scale of the module's output `y` relative to its
/// input `x`, `s(h, w) = Σ_c x·y / Σ_c x²` (1: the module passes the features unchanged; below 1:
/// suppressed; above 1: amplified). For a pure multiplicative gate `y = g ⊙ x` it is the
/// x²-weighted channel mean of g. The map is upsampled bilinearly to the image and overlaid.
public struct AttentionMap: Sendable {
    public let module: String
    /// State-dict name of the module (`layer3.1.after_conv3`).
    public let place: String
    public let width: Int, height: Int
    public let values: [Float]
    /// How the backbone's weights were obtained (trained run weights, or untrained).
    public let weightsNote: String

    /// Captures the gate of `module` (plan's placement) over `image`; `weights`: a run's
    /// model.safetensors whose `backbone.body.*` entries are loaded into the backbone when present.
    public static func capture(plan: ExperimentPlan, module: String, image: RGBImage, weights: String?) throws -> AttentionMap {
        let net = try plan.pluginBackbone(module)
        var note = "untrained backbone (seeded initialisation)"
        if let weights, let file = try? SafetensorsFile.read(from: URL(fileURLWithPath: weights)) {
            let prefix = "backbone.body."
            let entries = file.entries.filter { $0.name.hasPrefix(prefix) }.map { (key: String($0.name.dropFirst(prefix.count)), array: $0.array) }
            if entries.isEmpty {
                note = "untrained backbone: the run's weights hold no backbone.body.* entries (stub detector)"
            } else {
                do { try net.loadStateDict(entries, strict: false, source: weights); note = "trained weights of \(weights)" } catch {
                    note = "untrained backbone: the run's backbone weights do not fit (\(error))"
                }
            }
        }
        guard let spec = plan.pluginSpec(module), let plugin = try? AttentionPlugin(spec: spec) else {
            throw ExperimentError("attention map: '\(module)' has no plugin")
        }
        let stage = plugin.stages.contains(3) ? 3 : plugin.stages.last!
        let pattern = "layer\(stage)."
        let candidates = net.namedModules().filter { name, _ in
            name.hasPrefix(pattern) && name.hasSuffix("." + plugin.position.rawValue) && name.split(separator: ".").count == 3
        }
        guard let (place, target) = candidates.max(by: { Int($0.0.split(separator: ".")[1])! < Int($1.0.split(separator: ".")[1])! }) else {
            throw ExperimentError("attention map: no \(plugin.position.rawValue) module in layer\(stage) of \(plan.measureBackbone)")
        }
        var x = chwFloat(image, width: image.width, height: image.height)
        let mean = Tensor(plan.detector.imageMean, shape: [3, 1, 1]), std = Tensor(plan.detector.imageStd, shape: [3, 1, 1])
        x = ((x - mean) / std).unsqueezed(0)
        final class Box: @unchecked Sendable { var input: Tensor?; var output: Tensor? }
        let box = Box(), id = ObjectIdentifier(target)
        net.eval()
        ForwardObserver.$current.withValue(ForwardObserver { m, i, o in if ObjectIdentifier(m) == id { box.input = i; box.output = o } }) {
            _ = withNoGrad { net.features(x) }
        }
        guard let i = box.input, let o = box.output, i.shape == o.shape else {
            throw ExperimentError("attention map: \(place) was not called with one input of its output's shape")
        }
        let c = i.shape[1], h = i.shape[2], w = i.shape[3]
        let xi = i.scalars, yo = o.scalars
        var values = [Float](repeating: 1, count: h * w)
        for p in 0..<(h * w) {
            var num: Double = 0, den: Double = 0
            for ch in 0..<c { let a = Double(xi[ch * h * w + p]), b = Double(yo[ch * h * w + p]); num += a * b; den += a * a }
            values[p] = den > 1e-12 ? Float(num / den) : 1
        }
        return AttentionMap(module: module, place: place, width: w, height: h, values: values, weightsNote: note)
    }

    /// The map upsampled bilinearly to `image` and blended over it (blue low → red high, 55%).
    public func overlay(on image: RGBImage) -> RGBImage {
        let lo = values.min() ?? 0, hi = values.max() ?? 1, span = max(hi - lo, 1e-6)
        var out = image
        for py in 0..<image.height {
            let fy = max(0, min(Float(height - 1), (Float(py) + 0.5) * Float(height) / Float(image.height) - 0.5))
            let y0 = Int(fy), y1 = min(height - 1, y0 + 1), ty = fy - Float(y0)
            for px in 0..<image.width {
                let fx = max(0, min(Float(width - 1), (Float(px) + 0.5) * Float(width) / Float(image.width) - 0.5))
                let x0 = Int(fx), x1 = min(width - 1, x0 + 1), tx = fx - Float(x0)
                let v = (1 - ty) * ((1 - tx) * values[y0 * width + x0] + tx * values[y0 * width + x1])
                    + ty * ((1 - tx) * values[y1 * width + x0] + tx * values[y1 * width + x1])
                let (r, g, b) = Self.color((v - lo) / span)
                let k = 3 * (py * image.width + px), a: Float = 0.55
                out.pixels[k] = UInt8(min(255, (1 - a) * Float(image.pixels[k]) + a * r))
                out.pixels[k + 1] = UInt8(min(255, (1 - a) * Float(image.pixels[k + 1]) + a * g))
                out.pixels[k + 2] = UInt8(min(255, (1 - a) * Float(image.pixels[k + 2]) + a * b))
            }
        }
        return out
    }

    /// A blue → cyan → yellow → red ramp for t in [0, 1].
    static func color(_ t: Float) -> (Float, Float, Float) {
        let t = max(0, min(1, t))
        let r = max(0, min(1, 2 * t - 0.5)), g = max(0, min(1, 1.5 - abs(2 * t - 1) * 1.5)), b = max(0, min(1, 1.5 - 2 * t))
        return (255 * r, 255 * g, 255 * b)
    }
}

import NN
import TensorCore

/// Parameters generated from their state-dict keys, bit for bit as
/// `scripts/fixtures/make_backbones.py`'s `det_weights` (for networks whose weights are too
/// large to commit): 24-bit uniforms r ∈ [−1, 1) from `fmix32(fnv1a(key)·0x9E3779B1 + i·0x85EBCA77)`;
/// conv weights r·√(6/fan_out) (as torchvision's fan-out init), linear weights r·√(3/fan_in), other `*weight` 1 + 0.1·r, biases 0.1·r.
public enum DeterministicWeights {
    public static func fill(_ model: Module) {
        for (key, p) in model.namedParameters() {
            p.assign(Tensor(values(key: key, shape: p.shape), shape: p.shape))
        }
    }

    /// The input tensor of the fixtures: raw uniforms in [−1, 1) under the key `input`.
    public static func input(_ shape: [Int]) -> Tensor {
        Tensor(uniform(key: "input", count: shape.reduce(1, *)), shape: shape)
    }

    /// `count` uniforms in [−1, 1) for `key`.
    public static func uniform(key: String, count: Int) -> [Float] {
        var h: UInt32 = 2166136261
        for b in key.utf8 { h = (h ^ UInt32(b)) &* 16777619 }
        return (0..<count).map { i in
            var x = h &* 0x9E3779B1 &+ UInt32(truncatingIfNeeded: i) &* 0x85EBCA77
            x ^= x >> 16; x = x &* 0x85EBCA6B; x ^= x >> 13; x = x &* 0xC2B2AE35; x ^= x >> 16
            return Float(x >> 8) * 0x1p-24 * 2 - 1
        }
    }

    public static func values(key: String, shape: [Int]) -> [Float] {
        let scale: Float?
        if shape.count == 4 {
            scale = Float((6.0 / Double(shape[0] * shape[2] * shape[3])).squareRoot())
        } else if shape.count >= 2 {
            scale = Float((3.0 / Double(shape.dropFirst().reduce(1, *))).squareRoot())
        } else {
            scale = nil
        }
        let isWeight = key.hasSuffix("weight")
        return uniform(key: key, count: shape.reduce(1, *)).map { r in
            if let scale { return r * scale }
            return isWeight ? 1 + Float(0.1) * r : Float(0.1) * r
        }
    }
}

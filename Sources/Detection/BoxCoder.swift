import Foundation
import TensorCore

/// Box regression coding of R-CNN (Girshick et al. 2014), torchvision's
/// `models.detection._utils.BoxCoder`: a box relative to a reference box as
/// `(wx·(cx − cxᵣ)/wᵣ, wy·(cy − cyᵣ)/hᵣ, ww·log(w/wᵣ), wh·log(h/hᵣ))`.
///
/// Weights: (1, 1, 1, 1) for the RPN, (10, 10, 5, 5) for the Fast R-CNN box head. `decode`
/// clamps dw, dh (after dividing by the weights) at `bboxXformClip` = log(1000/16) so that
/// `exp` cannot overflow. Float32 arithmetic in torchvision's order. Boxes are (x1, y1, x2, y2);
/// widths are `x2 − x1` (no +1). Not differentiable: torchvision decodes detached regressions
/// and encodes targets; the losses work on the codes.
public struct BoxCoder: Sendable {
    public let weights: (Float, Float, Float, Float)
    public let bboxXformClip: Float

    public static let defaultClip = Float(Foundation.log(1000.0 / 16))

    public init(weights: (Float, Float, Float, Float), bboxXformClip: Float = BoxCoder.defaultClip) {
        self.weights = weights; self.bboxXformClip = bboxXformClip
    }

    /// Codes (N, 4) of `boxes` (N, 4, the regression targets, e.g. matched ground truth)
    /// relative to `references` (N, 4, e.g. anchors or proposals). Zero-size references give
    /// inf/NaN codes, as in torchvision.
    public func encode(_ boxes: Tensor, references: Tensor) throws -> Tensor {
        try checkBoxTensor(boxes, "boxes")
        try checkBoxTensor(references, "references")
        guard boxes.shape[0] == references.shape[0] else {
            throw DetectionError("references: \(references.shape[0]) boxes for \(boxes.shape[0]) boxes to encode")
        }
        let g = boxes.scalars, p = references.scalars, n = boxes.shape[0]
        var out = [Float](repeating: 0, count: 4 * n)
        for i in 0..<n {
            let pw = p[4 * i + 2] - p[4 * i], ph = p[4 * i + 3] - p[4 * i + 1]
            let pcx = p[4 * i] + 0.5 * pw, pcy = p[4 * i + 1] + 0.5 * ph
            let gw = g[4 * i + 2] - g[4 * i], gh = g[4 * i + 3] - g[4 * i + 1]
            let gcx = g[4 * i] + 0.5 * gw, gcy = g[4 * i + 1] + 0.5 * gh
            out[4 * i] = weights.0 * (gcx - pcx) / pw
            out[4 * i + 1] = weights.1 * (gcy - pcy) / ph
            out[4 * i + 2] = weights.2 * logf(gw / pw)
            out[4 * i + 3] = weights.3 * logf(gh / ph)
        }
        return Tensor(out, shape: [n, 4])
    }

    /// Boxes (N, K, 4) from codes (N, 4·K) — K codes per reference, e.g. one per class — and
    /// `references` (N, 4).
    public func decode(_ codes: Tensor, references: Tensor) throws -> Tensor {
        try checkBoxTensor(references, "references")
        guard codes.rank == 2, codes.shape[1] % 4 == 0, codes.shape[0] == references.shape[0] else {
            throw DetectionError("codes: expected (\(references.shape[0]), 4·K) for \(references.shape[0]) references, got shape \(codes.shape)")
        }
        let r = references.scalars, c = codes.scalars, n = codes.shape[0], k = codes.shape[1] / 4
        var out = [Float](repeating: 0, count: n * k * 4)
        for i in 0..<n {
            let w = r[4 * i + 2] - r[4 * i], h = r[4 * i + 3] - r[4 * i + 1]
            let cx = r[4 * i] + 0.5 * w, cy = r[4 * i + 1] + 0.5 * h
            for j in 0..<k {
                let o = 4 * (i * k + j)
                let dx = c[o] / weights.0, dy = c[o + 1] / weights.1
                let dw = min(c[o + 2] / weights.2, bboxXformClip), dh = min(c[o + 3] / weights.3, bboxXformClip)
                let pcx = dx * w + cx, pcy = dy * h + cy
                let hw = 0.5 * (expf(dw) * w), hh = 0.5 * (expf(dh) * h)
                out[o] = pcx - hw; out[o + 1] = pcy - hh; out[o + 2] = pcx + hw; out[o + 3] = pcy + hh
            }
        }
        return Tensor(out, shape: [n, k, 4])
    }
}

/// Throws unless `t` is (N, 4).
func checkBoxTensor(_ t: Tensor, _ name: String) throws {
    guard t.rank == 2, t.shape[1] == 4 else { throw DetectionError("\(name): expected an (N, 4) tensor, got shape \(t.shape)") }
}

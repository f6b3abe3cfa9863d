/// How four numbers describe an axis-aligned box (catalogue B1).
///
/// - `xyxy`: (x1, y1, x2, y2) corners, torchvision's default.
/// - `xywh`: (x1, y1, width, height), COCO's layout.
/// - `cxcywh`: (centre x, centre y, width, height).
/// - `yxyx`: (top, left, bottom, right) = (y1, x1, y2, x2), the seed's `compute_iou` layout.
///
/// Boxes travel as flat row-major `[Float]` arrays of N×4 values.
public enum BoxFormat: String, CaseIterable, Sendable {
    case xyxy, xywh, cxcywh, yxyx
}

/// Boxes in structure-of-arrays corner form, the layout every kernel of this target reads.
struct CornerBoxes {
    var x1: [Float], y1: [Float], x2: [Float], y2: [Float]
    var count: Int { x1.count }

    /// Converts `boxes` (N×4, `format`) with torchvision's `box_convert` arithmetic.
    init(_ boxes: [Float], format: BoxFormat) {
        let n = boxes.count / 4
        x1 = [Float](repeating: 0, count: n); y1 = x1; x2 = x1; y2 = x1
        boxes.withUnsafeBufferPointer { b in
            for i in 0..<n {
                let a = b[4 * i], c = b[4 * i + 1], d = b[4 * i + 2], e = b[4 * i + 3]
                switch format {
                case .xyxy: x1[i] = a; y1[i] = c; x2[i] = d; y2[i] = e
                case .yxyx: y1[i] = a; x1[i] = c; y2[i] = d; x2[i] = e
                case .xywh: x1[i] = a; y1[i] = c; x2[i] = a + d; y2[i] = c + e
                case .cxcywh:
                    x1[i] = a - 0.5 * d; y1[i] = c - 0.5 * e
                    x2[i] = a + 0.5 * d; y2[i] = c + 0.5 * e
                }
            }
        }
    }

    /// Area of each box, `(x2 − x1)·(y2 − y1)` as torchvision evaluates it.
    var areas: [Float] { (0..<count).map { (x2[$0] - x1[$0]) * (y2[$0] - y1[$0]) } }

    /// The boxes as flat N×4 values in `format`.
    func flat(_ format: BoxFormat) -> [Float] {
        var out = [Float](repeating: 0, count: 4 * count)
        for i in 0..<count {
            let a = x1[i], b = y1[i], c = x2[i], d = y2[i]
            let v: (Float, Float, Float, Float)
            switch format {
            case .xyxy: v = (a, b, c, d)
            case .yxyx: v = (b, a, d, c)
            case .xywh: v = (a, b, c - a, d - b)
            case .cxcywh: v = ((a + c) / 2, (b + d) / 2, c - a, d - b)
            }
            out[4 * i] = v.0; out[4 * i + 1] = v.1; out[4 * i + 2] = v.2; out[4 * i + 3] = v.3
        }
        return out
    }
}

/// Converts N×4 boxes between formats (torchvision `box_convert` arithmetic, via corners).
///
/// Throws ``BoxError`` when the count is not a multiple of 4 or a coordinate is not finite.
public func convertBoxes(_ boxes: [Float], from source: BoxFormat, to target: BoxFormat,
                         name: String = "boxes") throws -> [Float] {
    try checkBoxValues(boxes, name: name)
    if source == target { return boxes }
    return CornerBoxes(boxes, format: source).flat(target)
}

/// Validated input shared by the NMS family: corners, areas, classes and the score order.
struct NMSInput {
    let boxes: CornerBoxes
    let areas: [Float]
    let scores: [Float]
    /// Class of each box; `nil` when class-agnostic.
    let classes: [Int]?
    /// Box indices by decreasing score, ties by increasing index (torchvision's stable sort).
    let order: [Int]

    init(boxes flat: [Float], scores: [Float], classes: [Int]?, format: BoxFormat,
         iouThreshold: Double?) throws {
        boxes = try validatedCorners(flat, format: format, name: "boxes")
        try checkPerBox(scores, count: boxes.count, name: "scores")
        if let classes, classes.count != boxes.count {
            throw BoxError("classes: expected \(boxes.count) values (one per box), got \(classes.count)")
        }
        if let iouThreshold { try checkUnitInterval(iouThreshold, name: "iou threshold") }
        self.scores = scores
        self.classes = classes
        areas = boxes.areas
        order = scoreOrder(scores)
    }

    var count: Int { boxes.count }

    /// Whether boxes `i` and `j` may suppress each other (same class or class-agnostic).
    @inline(__always) func sameClass(_ i: Int, _ j: Int) -> Bool { classes.map { $0[i] == $0[j] } ?? true }

    /// torchvision's CPU NMS overlap, operation for operation:
    /// `inter / (area_i + area_j − inter)`.
    @inline(__always) func iou(_ i: Int, _ j: Int) -> Float {
        let b = boxes
        let w = max(0, min(b.x2[i], b.x2[j]) - max(b.x1[i], b.x1[j]))
        let h = max(0, min(b.y2[i], b.y2[j]) - max(b.y1[i], b.y1[j]))
        let inter = w * h
        return inter / (areas[i] + areas[j] - inter)
    }

    /// DIoU of the pair (torchvision `distance_box_iou` arithmetic, eps = 1e-7).
    @inline(__always) func diou(_ i: Int, _ j: Int) -> Float {
        let b = boxes
        let cw = max(0, max(b.x2[i], b.x2[j]) - min(b.x1[i], b.x1[j]))
        let ch = max(0, max(b.y2[i], b.y2[j]) - min(b.y1[i], b.y1[j]))
        let dx = (b.x1[i] + b.x2[i]) / 2 - (b.x1[j] + b.x2[j]) / 2
        let dy = (b.y1[i] + b.y2[i]) / 2 - (b.y1[j] + b.y2[j]) / 2
        return iou(i, j) - (dx * dx + dy * dy) / (cw * cw + ch * ch + 1e-7)
    }
}

/// Indices sorted by decreasing score; equal scores keep increasing index order
/// (torchvision's stable descending sort). Sorts unique 64-bit keys: the score's bits mapped
/// to an order-preserving unsigned integer, inverted, above the index.
func scoreOrder(_ scores: [Float]) -> [Int] {
    var keys = [UInt64](repeating: 0, count: scores.count)
    for (i, s) in scores.enumerated() {
        let bits = (s == 0 ? Float(0) : s).bitPattern           // −0 sorts with +0
        let ordered = bits & 0x8000_0000 != 0 ? ~bits : bits | 0x8000_0000
        keys[i] = UInt64(~ordered) << 32 | UInt64(i)
    }
    keys.sort()
    return keys.map { Int($0 & 0xFFFF_FFFF) }
}

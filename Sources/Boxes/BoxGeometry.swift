/// Area of each box (N×4 in `format`), `(x2 − x1)·(y2 − y1)` like torchvision's `box_area`.
public func boxArea(_ boxes: [Float], format: BoxFormat = .xyxy) throws -> [Float] {
    try validatedCorners(boxes, format: format, name: "boxes").areas
}

/// Clips boxes to the image `[0, width] × [0, height]` (torchvision `clip_boxes_to_image`),
/// returning them in the same `format`.
public func clipBoxes(_ boxes: [Float], width: Float, height: Float, format: BoxFormat = .xyxy) throws -> [Float] {
    guard width.isFinite, height.isFinite, width >= 0, height >= 0 else {
        throw BoxError("clipBoxes: width and height must be finite and ≥ 0, got \(width)×\(height)")
    }
    var c = try validatedCorners(boxes, format: format, name: "boxes")
    for i in 0..<c.count {
        c.x1[i] = min(max(c.x1[i], 0), width); c.x2[i] = min(max(c.x2[i], 0), width)
        c.y1[i] = min(max(c.y1[i], 0), height); c.y2[i] = min(max(c.y2[i], 0), height)
    }
    return c.flat(format)
}

/// Indices of boxes whose width and height are both at least `minSize`
/// (torchvision `remove_small_boxes`), in increasing order.
public func removeSmallBoxes(_ boxes: [Float], minSize: Float, format: BoxFormat = .xyxy) throws -> [Int] {
    guard minSize.isFinite else { throw BoxError("removeSmallBoxes: minSize must be finite, got \(minSize)") }
    let c = try validatedCorners(boxes, format: format, name: "boxes")
    return (0..<c.count).filter { c.x2[$0] - c.x1[$0] >= minSize && c.y2[$0] - c.y1[$0] >= minSize }
}

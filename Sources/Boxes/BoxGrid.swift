/// A uniform grid bucketing boxes by their top-left corner, for neighbour queries.
///
/// A cell is at least as large as the largest box, so every box that intersects a query box
/// lies in the query's cell range widened by one cell on each side.
struct BoxGrid {
    private let boxes: CornerBoxes
    private let minX: Float, minY: Float, cellW: Float, cellH: Float
    private let cols: Int, rows: Int
    private let start: [Int32]   // cell c holds items[start[c] ..< start[c+1]]
    private let items: [Int32]
    private let maxW: Float, maxH: Float

    /// Buckets the boxes listed in `members` (all boxes when `nil`); inside a cell, boxes keep
    /// the order of `members`.
    init(_ boxes: CornerBoxes, members: [Int]) {
        self.boxes = boxes
        let n = members.count
        var lx = Float.infinity, ly = Float.infinity, hx = -Float.infinity, hy = -Float.infinity
        var mw: Float = 0, mh: Float = 0
        for i in members {
            lx = min(lx, boxes.x1[i]); ly = min(ly, boxes.y1[i])
            hx = max(hx, boxes.x1[i]); hy = max(hy, boxes.y1[i])
            mw = max(mw, boxes.x2[i] - boxes.x1[i]); mh = max(mh, boxes.y2[i] - boxes.y1[i])
        }
        minX = lx; minY = ly; maxW = mw; maxH = mh
        let spanX = Double(hx) - Double(lx), spanY = Double(hy) - Double(ly)
        // Cells no smaller than the largest box, and at most ~2 cells per box in total.
        var cw = max(Double(mw), spanX / 4096, 1e-6), ch = max(Double(mh), spanY / 4096, 1e-6)
        while (spanX / cw + 1) * (spanY / ch + 1) > Double(2 * n + 16) { cw *= 1.5; ch *= 1.5 }
        cellW = Float(cw); cellH = Float(ch)
        cols = Int(spanX / cw) + 1; rows = Int(spanY / ch) + 1
        var counts = [Int32](repeating: 0, count: cols * rows + 1)
        var cellOf = [Int](repeating: 0, count: n)
        for (k, i) in members.enumerated() {
            let c = Self.clampIndex(boxes.y1[i], minY, cellH, rows) * cols + Self.clampIndex(boxes.x1[i], minX, cellW, cols)
            cellOf[k] = c; counts[c + 1] += 1
        }
        for c in 0..<(cols * rows) { counts[c + 1] += counts[c] }
        var fill = counts
        var items = [Int32](repeating: 0, count: n)
        for (k, i) in members.enumerated() { let c = cellOf[k]; items[Int(fill[c])] = Int32(i); fill[c] += 1 }
        start = counts; self.items = items
    }

    @inline(__always) private static func clampIndex(_ v: Float, _ lo: Float, _ size: Float, _ count: Int) -> Int {
        let k = Int(((v - lo) / size).rounded(.down))
        return min(max(k, 0), count - 1)
    }

    /// Calls `body` with every box whose cell may hold a box intersecting box `i` (a superset).
    @inline(__always) func forEachNeighbour(of i: Int, _ body: (Int) -> Void) {
        let c0 = Self.clampIndex(boxes.x1[i] - maxW, minX, cellW, cols) - 1
        let c1 = Self.clampIndex(boxes.x2[i], minX, cellW, cols) + 1
        let r0 = Self.clampIndex(boxes.y1[i] - maxH, minY, cellH, rows) - 1
        let r1 = Self.clampIndex(boxes.y2[i], minY, cellH, rows) + 1
        items.withUnsafeBufferPointer { it in
            start.withUnsafeBufferPointer { st in
                for r in max(r0, 0)...min(r1, rows - 1) {
                    let base = r * cols
                    let lo = Int(st[base + max(c0, 0)]), hi = Int(st[base + min(c1, cols - 1) + 1])
                    for k in lo..<hi { body(Int(it[k])) }
                }
            }
        }
    }
}

import Foundation

/// pycocotools' `evaluate()`: per (category, image) cell, greedy matching of score-sorted
/// detections to ground truth at every IoU threshold and area range.
///
/// Cells are laid out category-major (`k * imageCount + i`, images ascending by id), the order
/// `accumulate` concatenates them in. A cell with neither ground truth nor detections is absent
/// (pycocotools' `None`). Each cell keeps its detections sorted by score (stable: file order
/// breaks ties; category then file order when `useCats` is off), cut to the largest maxDets.
/// Per kept detection and area range, bit `t` of `tp` / `ignored` says whether it is a true
/// positive / ignored at threshold `t`; neither bit set is a false positive.
struct ImageEvaluations: Sendable {
    let cellCategories: Int
    let imageCount: Int
    let areaCount: Int
    /// `cellStart[c] ..< cellStart[c + 1]`: the entries of cell `c`.
    var cellStart: [Int32]
    var present: [Bool]
    /// Non-ignored ground truth per cell and area range (`c * areaCount + a`).
    var npig: [Int32]
    /// Per entry.
    var score: [Double], rank: [Int32], detection: [Int32]
    /// Per entry and area range (`e * areaCount + a`).
    var tp: [UInt32], ignored: [UInt32]

    func cell(_ k: Int, _ i: Int) -> Int { k * imageCount + i }
    func entries(ofCategory k: Int) -> Range<Int> {
        Int(cellStart[cell(k, 0)])..<Int(cellStart[cell(k, 0) + imageCount])
    }
}

/// Ground truth and detections grouped by (image, category): stable counting sort on
/// `image * categories + category`, so an image's range lists categories in id order.
struct CellIndex {
    let start: [Int32]
    let order: [Int32]

    init(imageIndex: [Int32], categoryIndex: [Int32], images: Int, categories: Int) {
        var counts = [Int32](repeating: 0, count: images * categories + 1)
        for j in 0..<imageIndex.count { counts[Int(imageIndex[j]) * categories + Int(categoryIndex[j]) + 1] += 1 }
        for b in 1..<counts.count { counts[b] += counts[b - 1] }
        start = counts
        var next = counts
        var order = [Int32](repeating: 0, count: imageIndex.count)
        for j in 0..<imageIndex.count {
            let b = Int(imageIndex[j]) * categories + Int(categoryIndex[j])
            order[Int(next[b])] = Int32(j)
            next[b] += 1
        }
        self.order = order
    }

    /// Members of image `i`, category `k` (or every category when `k` is nil), in order.
    func range(image i: Int, category k: Int?, categories: Int) -> Range<Int> {
        if let k { return Int(start[i * categories + k])..<Int(start[i * categories + k + 1]) }
        return Int(start[i * categories])..<Int(start[(i + 1) * categories])
    }
}

extension ImageEvaluations {
    init(groundTruth gt: COCOGroundTruth, detections dt: COCODetections, params p: COCOParams) {
        let images = gt.imageIds.count, categories = gt.categories.count
        let kCells = p.useCats ? categories : 1
        let areas = p.areaRanges, A = areas.count
        let maxDet = p.sortedMaxDets.last!
        let gtCells = CellIndex(imageIndex: gt.imageIndex, categoryIndex: gt.categoryIndex, images: images, categories: categories)
        let dtCells = CellIndex(imageIndex: dt.imageIndex, categoryIndex: dt.categoryIndex, images: images, categories: categories)
        let nCells = kCells * images
        cellCategories = kCells
        imageCount = images
        areaCount = A
        var start = [Int32](repeating: 0, count: nCells + 1)
        var present = [Bool](repeating: false, count: nCells)
        for k in 0..<kCells {
            for i in 0..<images {
                let c = k * images + i
                let cat: Int? = p.useCats ? k : nil
                let g = gtCells.range(image: i, category: cat, categories: categories).count
                let d = dtCells.range(image: i, category: cat, categories: categories).count
                present[c] = g > 0 || d > 0
                start[c + 1] = start[c] + Int32(min(d, maxDet))
            }
        }
        let total = Int(start[nCells])
        cellStart = start
        self.present = present
        var npig = [Int32](repeating: 0, count: nCells * A)
        var score = [Double](repeating: 0, count: total), rank = [Int32](repeating: 0, count: total)
        var detection = [Int32](repeating: 0, count: total)
        var tp = [UInt32](repeating: 0, count: total * A), ignored = [UInt32](repeating: 0, count: total * A)

        // Parallel fill: each block of cells writes only its own entries.
        let blockSize = 64
        let blocks = (nCells + blockSize - 1) / blockSize
        let thresholds = p.iouThresholds.map { min($0, 1 - 1e-10) }
        let ignoreFlags: [Bool] = p.useIgnoreFlag ? zip(gt.isCrowd, gt.ignoreFlag).map { $0 || $1 } : gt.isCrowd
        npig.withUnsafeMutableBufferPointer { npigP in
        score.withUnsafeMutableBufferPointer { scoreP in
        rank.withUnsafeMutableBufferPointer { rankP in
        detection.withUnsafeMutableBufferPointer { detP in
        tp.withUnsafeMutableBufferPointer { tpP in
        ignored.withUnsafeMutableBufferPointer { igP in
            let out = SendableBox((npigP, scoreP, rankP, detP, tpP, igP))
            parallelFor(blocks) { b in
                var scratch = CellScratch()
                let (npigP, scoreP, rankP, detP, tpP, igP) = out.value
                for c in b * blockSize..<min(nCells, (b + 1) * blockSize) where present[c] {
                    let k = c / images, i = c % images
                    let cat: Int? = p.useCats ? k : nil
                    scratch.load(gt: gt, gtMembers: gtCells.order[gtCells.range(image: i, category: cat, categories: categories)],
                                 ignoreFlags: ignoreFlags,
                                 dt: dt, dtMembers: dtCells.order[dtCells.range(image: i, category: cat, categories: categories)],
                                 maxDet: maxDet)
                    let e0 = Int(start[c])
                    for (r, d) in scratch.dets.enumerated() {
                        scoreP[e0 + r] = dt.scores[Int(d)]
                        rankP[e0 + r] = Int32(r)
                        detP[e0 + r] = d
                    }
                    for (a, range) in areas.enumerated() {
                        npigP[c * A + a] = Int32(scratch.match(range, thresholds: thresholds))
                        for r in 0..<scratch.dets.count {
                            tpP[(e0 + r) * A + a] = scratch.tpBits[r]
                            igP[(e0 + r) * A + a] = scratch.igBits[r]
                        }
                    }
                }
            }
        }}}}}}
        self.npig = npig
        self.score = score
        self.rank = rank
        self.detection = detection
        self.tp = tp
        self.ignored = ignored
    }
}

/// Per-worker buffers for one cell: its members, the IoU matrix and the matching state.
struct CellScratch {
    var gts: [Int32] = []
    var dets: [Int32] = []
    var positions: [Int32] = []
    /// IoU, row per kept detection, column per ground truth in cell order.
    var iou: [Double] = []
    var gtOrder: [Int] = []
    /// Per ground truth in cell order: crowd, pycocotools' ignore, area, id ≠ 0.
    var crowd: [Bool] = [], ignore: [Bool] = [], gtArea: [Double] = [], countsAsMatch: [Bool] = []
    /// Per kept detection: w·h.
    var dtArea: [Double] = []
    var gtIgnore: [Bool] = []
    var gtTaken: [UInt32] = []
    var tpBits: [UInt32] = []
    var igBits: [UInt32] = []

    mutating func load(gt: COCOGroundTruth, gtMembers: ArraySlice<Int32>, ignoreFlags: [Bool],
                       dt: COCODetections, dtMembers: ArraySlice<Int32>, maxDet: Int) {
        gts.removeAll(keepingCapacity: true)
        gts.append(contentsOf: gtMembers)
        // Stable sort by descending score (numpy's mergesort on -score): ties keep cell order.
        positions.removeAll(keepingCapacity: true)
        positions.append(contentsOf: 0..<Int32(dtMembers.count))
        let s = dt.scores, base = dtMembers.startIndex
        positions.sort { a, b in
            let sa = s[Int(dtMembers[base + Int(a)])], sb = s[Int(dtMembers[base + Int(b)])]
            return sa > sb || (sa == sb && a < b)
        }
        dets.removeAll(keepingCapacity: true)
        for p in positions.prefix(maxDet) { dets.append(dtMembers[base + Int(p)]) }
        let G = gts.count, D = dets.count
        crowd.removeAll(keepingCapacity: true); ignore.removeAll(keepingCapacity: true)
        gtArea.removeAll(keepingCapacity: true); countsAsMatch.removeAll(keepingCapacity: true)
        for g in gts {
            crowd.append(gt.isCrowd[Int(g)]); ignore.append(ignoreFlags[Int(g)])
            gtArea.append(gt.area[Int(g)]); countsAsMatch.append(gt.annotationIds[Int(g)] != 0)
        }
        dtArea.removeAll(keepingCapacity: true)
        for d in dets { dtArea.append(dt.boxes[4 * Int(d) + 2] * dt.boxes[4 * Int(d) + 3]) }
        iou.removeAll(keepingCapacity: true)
        iou.append(contentsOf: repeatElement(0, count: D * G))
        gt.boxes.withUnsafeBufferPointer { gb in
        dt.boxes.withUnsafeBufferPointer { db in
            for (j, g) in gts.enumerated() {
                let gx = gb[4 * Int(g)], gy = gb[4 * Int(g) + 1], gw = gb[4 * Int(g) + 2], gh = gb[4 * Int(g) + 3]
                let ga = gw * gh
                let isCrowd = crowd[j]
                for (r, d) in dets.enumerated() {
                    let dx = db[4 * Int(d)], dy = db[4 * Int(d) + 1], dw = db[4 * Int(d) + 2], dh = db[4 * Int(d) + 3]
                    let da = dw * dh
                    let w = Swift.min(dw + dx, gw + gx) - Swift.max(dx, gx)
                    if w <= 0 { continue }
                    let h = Swift.min(dh + dy, gh + gy) - Swift.max(dy, gy)
                    if h <= 0 { continue }
                    let inter = w * h
                    let union = isCrowd ? da : da + ga - inter
                    iou[r * G + j] = inter / union
                }
            }
        }}
    }

    /// Matches at every threshold for one area range; fills `tpBits` / `igBits`; returns the
    /// number of ground truth not ignored.
    mutating func match(_ range: AreaRange, thresholds: [Double]) -> Int {
        let G = gts.count, D = dets.count
        gtIgnore.removeAll(keepingCapacity: true)
        gtOrder.removeAll(keepingCapacity: true)
        for j in 0..<G { gtIgnore.append(ignore[j] || range.excludes(gtArea[j])) }
        for j in 0..<G where !gtIgnore[j] { gtOrder.append(j) }
        let npig = gtOrder.count
        for j in 0..<G where gtIgnore[j] { gtOrder.append(j) }
        gtTaken.removeAll(keepingCapacity: true)
        gtTaken.append(contentsOf: repeatElement(0, count: G))
        tpBits.removeAll(keepingCapacity: true)
        tpBits.append(contentsOf: repeatElement(0, count: D))
        igBits.removeAll(keepingCapacity: true)
        igBits.append(contentsOf: repeatElement(0, count: D))
        for r in 0..<D {
            let outside = range.excludes(dtArea[r])
            var tpMask: UInt32 = 0, igMask: UInt32 = 0
            if G > 0 {
                for (t, thr) in thresholds.enumerated() {
                    let bit: UInt32 = 1 << UInt32(t)
                    var best = thr
                    var m = -1
                    for j in gtOrder {
                        if gtTaken[j] & bit != 0, !crowd[j] { continue }
                        if m > -1, !gtIgnore[m], gtIgnore[j] { break }
                        let v = iou[r * G + j]
                        if v < best { continue }
                        best = v
                        m = j
                    }
                    if m == -1 {
                        if outside { igMask |= bit }
                        continue
                    }
                    gtTaken[m] |= bit
                    // pycocotools stores the ground truth's id; id 0 reads as "unmatched".
                    let matched = countsAsMatch[m]
                    if gtIgnore[m] || (!matched && outside) { igMask |= bit } else if matched { tpMask |= bit }
                }
            } else if outside {
                igMask = thresholds.count == 32 ? ~0 : (1 << UInt32(thresholds.count)) - 1
            }
            tpBits[r] = tpMask
            igBits[r] = igMask
        }
        return npig
    }
}

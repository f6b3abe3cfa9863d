import Kernels

/// Greedy non-maximum suppression (torchvision `nms`).
///
/// Visits boxes by decreasing score and drops every later box whose IoU with a kept box is
/// `> iouThreshold`. Returns kept indices by decreasing score; equal scores keep index order,
/// as torchvision's stable CPU sort does. The IoU is evaluated with torchvision's Float32
/// arithmetic, so keep lists match exactly. A uniform grid over the boxes limits each kept box
/// to its spatial neighbours (only overlapping boxes can exceed a threshold ≥ 0).
///
/// Throws naming `boxes`, `scores` or the threshold (must lie in [0, 1]).
public func nms(_ boxes: [Float], scores: [Float], iouThreshold: Double,
                format: BoxFormat = .xyxy) throws -> [Int] {
    let input = try NMSInput(boxes: boxes, scores: scores, classes: nil, format: format, iouThreshold: iouThreshold)
    return greedySuppress(input) { i, j in Double(input.iou(i, j)) > iouThreshold }
}

/// Class-aware NMS (torchvision `batched_nms`): boxes of different `classes` never suppress
/// each other. Kept indices by decreasing score, ties by index.
///
/// Deviation: torchvision sorts the merged per-class result with an unstable sort above 1000
/// boxes, so its order among equal scores is arbitrary there; ours is always by index.
public func batchedNMS(_ boxes: [Float], scores: [Float], classes: [Int], iouThreshold: Double,
                       format: BoxFormat = .xyxy) throws -> [Int] {
    let input = try NMSInput(boxes: boxes, scores: scores, classes: classes, format: format, iouThreshold: iouThreshold)
    return greedySuppressPerClass(input) { i, j in Double(input.iou(i, j)) > iouThreshold }
}

/// DIoU-NMS (catalogue B6, Zheng et al. 2020): as greedy NMS, but box B_j is suppressed by a
/// kept box M when `IoU(M, B_j) − ρ²(M, B_j)/c² > iouThreshold`, so overlapping boxes whose
/// centres lie apart survive. Optional `classes` make it class-aware.
///
/// Deviation: the seed writes `≥ ε`; we use `> ε` like the author's code and torchvision's
/// NMS, which also keeps Cluster-DIoU-NMS identical to it.
public func diouNMS(_ boxes: [Float], scores: [Float], classes: [Int]? = nil, iouThreshold: Double,
                    format: BoxFormat = .xyxy) throws -> [Int] {
    let input = try NMSInput(boxes: boxes, scores: scores, classes: classes, format: format, iouThreshold: iouThreshold)
    return greedySuppressPerClass(input) { i, j in Double(input.diou(i, j)) > iouThreshold }
}

/// The greedy loop over a spatial grid. `suppresses(i, j)` may only be true for pairs with a
/// positive intersection, which holds for IoU and DIoU criteria with thresholds ≥ 0.
func greedySuppress(_ input: NMSInput, _ suppresses: (Int, Int) -> Bool) -> [Int] {
    var suppressed = [Bool](repeating: false, count: input.count)
    var rank = [Int](repeating: 0, count: input.count)
    for (r, i) in input.order.enumerated() { rank[i] = r }
    return greedySuppress(input.boxes, members: input.order, rank: rank, suppressed: &suppressed, suppresses)
}

/// Greedy NMS run independently inside each class (all boxes when class-agnostic), classes in
/// parallel, the kept boxes merged by decreasing score (ties by index).
func greedySuppressPerClass(_ input: NMSInput, _ suppresses: @escaping (Int, Int) -> Bool) -> [Int] {
    guard let classes = input.classes else { return greedySuppress(input, suppresses) }
    var groups: [Int: [Int]] = [:]
    for i in input.order { groups[classes[i], default: []].append(i) }
    let members = Array(groups.values)
    var rank = [Int](repeating: 0, count: input.count)
    for (r, i) in input.order.enumerated() { rank[i] = r }
    var kept = [[Int]](repeating: [], count: members.count)
    kept.withUnsafeMutableBufferPointer { out in
        let dst = UncheckedSendable(out.baseAddress!)
        let rankRef = rank
        Threading.parallelFor(members.count) { range in
            var suppressed = [Bool](repeating: false, count: input.count)
            for g in range {
                dst.value[g] = greedySuppress(input.boxes, members: members[g], rank: rankRef,
                                              suppressed: &suppressed, suppresses)
            }
        }
    }
    var isKept = [Bool](repeating: false, count: input.count)
    for group in kept { for i in group { isKept[i] = true } }
    return input.order.filter { isKept[$0] }
}

/// Greedy suppression among `members` (given in score order); `suppressed` is scratch space.
private func greedySuppress(_ boxes: CornerBoxes, members: [Int], rank: [Int], suppressed: inout [Bool],
                            _ suppresses: (Int, Int) -> Bool) -> [Int] {
    guard !members.isEmpty else { return [] }
    let grid = BoxGrid(boxes, members: members)
    var keep: [Int] = []
    for i in members where !suppressed[i] {
        keep.append(i)
        let ri = rank[i]
        grid.forEachNeighbour(of: i) { j in
            if rank[j] > ri, !suppressed[j], suppresses(i, j) { suppressed[j] = true }
        }
    }
    return keep
}

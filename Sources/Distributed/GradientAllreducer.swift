import Foundation
import NN
import TensorCore

/// Averages parameter gradients over the ranks in buckets, each bucket's non-blocking allreduce
/// started as soon as backward has produced all its gradients (buckets hold parameters in
/// reverse order, since backward reaches the last layers first), so communication overlaps the
/// rest of backward. Buckets are started strictly in index order on every rank, so the
/// collectives always match, whatever the order gradients arrive in; a bucket whose parameters
/// got no gradient this pass (an unused branch) is sent with zeros at the end.
public final class GradientAllreducer: @unchecked Sendable {
    public let comm: MPICommunicator
    /// Parameter indices per bucket.
    let buckets: [[Int]]
    let parameters: [Parameter]
    private var bucketOf: [ObjectIdentifier: Int] = [:]
    /// One flat buffer per bucket (stable addresses for the non-blocking collectives).
    private let buffers: [UnsafeMutableBufferPointer<Float>]
    private var remaining: [Int] = []
    private var requests: [MPIRequest?] = []
    private var nextToStart = 0
    /// Seconds spent waiting for the allreduces after backward (the part not hidden by backward).
    public private(set) var lastWaitSeconds = 0.0
    public var bucketCount: Int { buckets.count }
    /// Floats sent per step (the gradient volume).
    public var floatsPerStep: Int { buffers.reduce(0) { $0 + $1.count } }

    /// `parameters`: the trainable ones (requiresGrad), in model order. `bucketFloats`: target
    /// bucket size (default 4 Mi floats = 16 MiB).
    public init(comm: MPICommunicator, parameters: [Parameter], bucketFloats: Int = 1 << 22) {
        self.comm = comm
        self.parameters = parameters
        var buckets: [[Int]] = [], current: [Int] = [], size = 0
        for i in parameters.indices.reversed() {
            current.append(i)
            size += parameters[i].value.count
            if size >= bucketFloats { buckets.append(current); current = []; size = 0 }
        }
        if !current.isEmpty { buckets.append(current) }
        self.buckets = buckets
        buffers = buckets.map { UnsafeMutableBufferPointer<Float>.allocate(capacity: $0.reduce(0) { $0 + parameters[$1].value.count }) }
    }

    deinit { for b in buffers { b.deallocate() } }

    /// Runs `loss.backward()` with the bucketed allreduce, then leaves every parameter's gradient
    /// equal to the average over the ranks.
    public func backward(_ loss: Tensor) {
        bucketOf = [:]
        for (b, bucket) in buckets.enumerated() {
            for i in bucket { if let node = parameters[i].value.node { bucketOf[ObjectIdentifier(node)] = b } }
        }
        remaining = buckets.map(\.count)
        requests = Array(repeating: nil, count: buckets.count)
        nextToStart = 0
        loss.backward(onLeafReady: { [self] node in self.ready(node) })
        let t0 = Date()
        while nextToStart < buckets.count { start(nextToStart); nextToStart += 1 }
        for r in requests { r?.wait() }
        lastWaitSeconds = Date().timeIntervalSince(t0)
        let scale = 1 / Float(comm.size)
        for (b, bucket) in buckets.enumerated() {
            var offset = 0
            for i in bucket {
                let p = parameters[i], n = p.value.count
                let averaged = Tensor(uninitializedShape: p.shape)
                for j in 0..<n { averaged.data[j] = buffers[b][offset + j] * scale }
                p.setGradient(averaged)
                offset += n
            }
        }
    }

    private func ready(_ node: GradNode) {
        // Called synchronously by backward on this thread: no lock needed.
        guard let b = bucketOf[ObjectIdentifier(node)] else { return }
        remaining[b] -= 1
        while nextToStart < buckets.count && remaining[nextToStart] == 0 {
            start(nextToStart)
            nextToStart += 1
        }
    }

    /// Packs bucket `b` (zeros for missing gradients) and starts its allreduce.
    private func start(_ b: Int) {
        var offset = 0
        let dst = buffers[b].baseAddress!
        for i in buckets[b] {
            let p = parameters[i], n = p.value.count
            if let g = p.grad { (dst + offset).update(from: g.data, count: n) } else { (dst + offset).update(repeating: 0, count: n) }
            offset += n
        }
        requests[b] = comm.startAllreduceSum(dst, count: buffers[b].count)
    }
}

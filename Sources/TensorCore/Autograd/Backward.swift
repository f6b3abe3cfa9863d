extension Tensor {
    /// Reverse-mode differentiation from this tensor. `gradient` defaults to ones (any shape
    /// works for a one-element tensor, like PyTorch's `loss.backward()`). Leaf gradients
    /// accumulate across calls (`zeroGrad` clears them). Iterative: deep graphs cannot
    /// overflow the stack. `onLeafReady` is called as soon as a leaf's gradient of this pass is
    /// final (data-parallel training starts a bucket's allreduce while backward goes on).
    public func backward(_ gradient: Tensor? = nil) { backward(gradient, onLeafReady: nil) }

    /// `backward`, calling `onLeafReady` as soon as each leaf's gradient of this pass is final.
    public func backward(_ gradient: Tensor? = nil, onLeafReady: ((GradNode) -> Void)?) {
        guard let root = node else {
            fatalError("backward: tensor of shape \(shape) does not require grad")
        }
        let seed = gradient ?? Tensor.full(1, shape: shape)
        checkShape(seed.shape == shape, "backward: gradient shape \(seed.shape) differs from tensor shape \(shape)")
        let order = GradNode.topologicalOrder(from: root)
        var pending: [ObjectIdentifier: Tensor] = [ObjectIdentifier(root): seed.detach()]
        withNoGrad {
            for node in order.reversed() {
                guard var g = pending.removeValue(forKey: ObjectIdentifier(node)) else { continue }
                guard let pullback = node.pullback else {
                    // A leaf's gradient must not share memory with a tensor the caller can still reach:
                    // a pullback's fresh result is kept as it is, anything shared is copied (saves a copy
                    // per parameter per pass: 37 MiB in fresh pages for a 1024→1024 3×3 kernel).
                    if let acc = node.grad { node.grad = acc + g } else { node.grad = g.ownsStorageUniquely() ? g : g.copy() }
                    // Every user of the leaf came earlier in this reverse order: its gradient is final.
                    onLeafReady?(node)
                    continue
                }
                let inputGrads = pullback(g)
                for (i, input) in node.inputs.enumerated() {
                    guard let input, i < inputGrads.count, let raw = inputGrads[i] else { continue }
                    // Broadcasting in the forward pass shows up here as extra or size-1 axes.
                    let gi = raw.shape == input.shape ? raw : raw.sumToShape(input.shape)
                    let key = ObjectIdentifier(input)
                    if var acc = pending.removeValue(forKey: key) { Tensor.accumulate(&acc, gi); pending[key] = acc } else { pending[key] = gi }
                }
            }
        }
    }

    /// Clears the accumulated gradient of a leaf.
    public func zeroGrad() { node?.zeroGrad() }

    /// Replaces the accumulated gradient of a leaf (data-parallel averaging, gradient clipping).
    public func setGrad(_ gradient: Tensor?) {
        if let gradient { checkShape(gradient.shape == shape, "setGrad: gradient \(gradient.shape) for a tensor of shape \(shape)") }
        node?.grad = gradient?.detach()
    }
}

extension Tensor {
    /// `acc + g` for a gradient sum in backward: written into `acc`'s storage when nothing
    /// else holds it (a pullback's fresh result), which saves a new buffer and its page faults per
    /// sum (a bottleneck's input gets its conv1 and its shortcut gradient: 25 MiB at layer1).
    static func accumulate(_ acc: inout Tensor, _ g: Tensor) {
        if acc.shape == g.shape, acc.ownsStorageUniquely() { addInPlace(acc, g) } else { acc = acc + g }
    }
}

extension GradNode {
    /// Post-order (inputs before users) of every node reachable from `root`, without recursion.
    static func topologicalOrder(from root: GradNode) -> [GradNode] {
        var order: [GradNode] = []
        var visited = Set<ObjectIdentifier>()
        var stack: [(GradNode, Int)] = [(root, 0)]
        visited.insert(ObjectIdentifier(root))
        while let (node, next) = stack.popLast() {
            if next < node.inputs.count {
                stack.append((node, next + 1))
                if let child = node.inputs[next], visited.insert(ObjectIdentifier(child)).inserted {
                    stack.append((child, 0))
                }
            } else {
                order.append(node)
            }
        }
        return order
    }
}

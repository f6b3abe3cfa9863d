import TensorCore

public final class MaxPool2d: Module, @unchecked Sendable {
    public let kernelSize: (Int, Int), stride: (Int, Int), padding: (Int, Int), dilation: (Int, Int), ceilMode: Bool
    public init(kernelSize: Int, stride: Int? = nil, padding: Int = 0, dilation: Int = 1, ceilMode: Bool = false) {
        self.kernelSize = (kernelSize, kernelSize); self.stride = (stride ?? kernelSize, stride ?? kernelSize)
        self.padding = (padding, padding); self.dilation = (dilation, dilation); self.ceilMode = ceilMode
        super.init()
    }
    public override func forward(_ x: Tensor) -> Tensor {
        x.maxPool2d(kernelSize: kernelSize, stride: stride, padding: padding, dilation: dilation, ceilMode: ceilMode)
    }
}

public final class AvgPool2d: Module, @unchecked Sendable {
    public let kernelSize: (Int, Int), stride: (Int, Int), padding: (Int, Int), ceilMode: Bool, countIncludePad: Bool
    public let divisorOverride: Int?
    public init(kernelSize: Int, stride: Int? = nil, padding: Int = 0, ceilMode: Bool = false, countIncludePad: Bool = true,
                divisorOverride: Int? = nil) {
        self.kernelSize = (kernelSize, kernelSize); self.stride = (stride ?? kernelSize, stride ?? kernelSize)
        self.padding = (padding, padding); self.ceilMode = ceilMode; self.countIncludePad = countIncludePad
        self.divisorOverride = divisorOverride
        super.init()
    }
    public override func forward(_ x: Tensor) -> Tensor {
        x.avgPool2d(kernelSize: kernelSize, stride: stride, padding: padding, ceilMode: ceilMode,
                    countIncludePad: countIncludePad, divisorOverride: divisorOverride)
    }
}

public final class MaxPool1d: Module, @unchecked Sendable {
    public let kernelSize: Int, stride: Int, padding: Int, dilation: Int, ceilMode: Bool
    public init(kernelSize: Int, stride: Int? = nil, padding: Int = 0, dilation: Int = 1, ceilMode: Bool = false) {
        self.kernelSize = kernelSize; self.stride = stride ?? kernelSize; self.padding = padding
        self.dilation = dilation; self.ceilMode = ceilMode
        super.init()
    }
    public override func forward(_ x: Tensor) -> Tensor {
        x.maxPool1d(kernelSize: kernelSize, stride: stride, padding: padding, dilation: dilation, ceilMode: ceilMode)
    }
}

public final class AvgPool1d: Module, @unchecked Sendable {
    public let kernelSize: Int, stride: Int, padding: Int, ceilMode: Bool, countIncludePad: Bool
    public init(kernelSize: Int, stride: Int? = nil, padding: Int = 0, ceilMode: Bool = false, countIncludePad: Bool = true) {
        self.kernelSize = kernelSize; self.stride = stride ?? kernelSize; self.padding = padding
        self.ceilMode = ceilMode; self.countIncludePad = countIncludePad
        super.init()
    }
    public override func forward(_ x: Tensor) -> Tensor {
        x.avgPool1d(kernelSize: kernelSize, stride: stride, padding: padding, ceilMode: ceilMode, countIncludePad: countIncludePad)
    }
}

/// Adaptive average pooling; `nil` keeps an extent, as PyTorch's `(1, None)`.
public final class AdaptiveAvgPool2d: Module, @unchecked Sendable {
    public let outputSize: (Int?, Int?)
    public init(outputSize: (Int?, Int?)) { self.outputSize = outputSize; super.init() }
    public convenience init(_ size: Int) { self.init(outputSize: (size, size)) }
    public override func forward(_ x: Tensor) -> Tensor { x.adaptiveAvgPool2d(outputSize: outputSize) }
}

public final class AdaptiveMaxPool2d: Module, @unchecked Sendable {
    public let outputSize: (Int?, Int?)
    public init(outputSize: (Int?, Int?)) { self.outputSize = outputSize; super.init() }
    public convenience init(_ size: Int) { self.init(outputSize: (size, size)) }
    public override func forward(_ x: Tensor) -> Tensor { x.adaptiveMaxPool2d(outputSize: outputSize) }
}

/// Adaptive average pooling of (N, C, L) to `outputSize`.
public final class AdaptiveAvgPool1d: Module, @unchecked Sendable {
    public let outputSize: Int
    public init(_ outputSize: Int) { self.outputSize = outputSize; super.init() }
    public override func forward(_ x: Tensor) -> Tensor {
        checkShape(x.rank == 3, "AdaptiveAvgPool1d: input \(x.shape) is not (N, C, L)")
        return x.unsqueezed(2).adaptiveAvgPool2d(outputSize: (1, outputSize)).squeezed(2)
    }
}

/// Resizing by size or scale factor (torch.nn.Upsample).
public final class Upsample: Module, @unchecked Sendable {
    public let size: (Int, Int)?, scaleFactor: (Float, Float)?, mode: InterpolationMode, alignCorners: Bool
    public init(size: (Int, Int)? = nil, scaleFactor: Float? = nil, mode: InterpolationMode = .nearest, alignCorners: Bool = false) {
        self.size = size; self.scaleFactor = scaleFactor.map { ($0, $0) }; self.mode = mode; self.alignCorners = alignCorners
        super.init()
    }
    public override func forward(_ x: Tensor) -> Tensor {
        x.interpolate(size: size, scaleFactor: scaleFactor, mode: mode, alignCorners: alignCorners)
    }
}

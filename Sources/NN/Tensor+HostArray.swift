import TensorCore
import TensorIO

extension Tensor {
    /// A tensor holding `host`'s elements converted to Float32.
    public init(_ host: HostArray) {
        self.init(host.asFloat32(), shape: host.shape)
    }

    /// The elements as a float32 host array (for .npy and safetensors).
    public var hostArray: HostArray { HostArray(float32: scalars, shape: shape) }
}

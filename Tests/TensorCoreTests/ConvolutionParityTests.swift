import TensorCore
import TestSupport
import Testing

@Test("convolution, pooling and interpolation match PyTorch (values and gradients)")
func convolutionParity() throws {
    try replay("conv", [
        "conv2d_basic": { $0[0].conv2d(weight: $0[1], bias: $0[2], padding: (1, 1)) },
        "conv2d_stride_dil": { $0[0].conv2d(weight: $0[1], stride: (2, 2), padding: (2, 2), dilation: (2, 2)) },
        "conv2d_groups": { $0[0].conv2d(weight: $0[1], bias: $0[2], stride: (1, 2), padding: (1, 0), groups: 2) },
        "conv2d_1x1": { $0[0].conv2d(weight: $0[1], bias: $0[2]) },
        "conv2d_depthwise": { $0[0].conv2d(weight: $0[1], bias: $0[2], padding: (1, 1), groups: 5) },
        "conv2d_dw_mult_stride": { $0[0].conv2d(weight: $0[1], stride: (2, 2), padding: (1, 1), groups: 3) },
        "conv1d": { $0[0].conv1d(weight: $0[1], bias: $0[2], stride: 2, padding: 1, dilation: 2) },
        "conv1d_groups": { $0[0].conv1d(weight: $0[1], padding: 1, groups: 4) },
        "max_pool2d": { $0[0].maxPool2d(kernelSize: (3, 3), stride: (2, 2), padding: (1, 1)) },
        "max_pool2d_ceil": { $0[0].maxPool2d(kernelSize: (2, 2), stride: (2, 2), ceilMode: true) },
        "max_pool2d_dil": { $0[0].maxPool2d(kernelSize: (2, 2), stride: (1, 1), dilation: (2, 2)) },
        "avg_pool2d": { $0[0].avgPool2d(kernelSize: (3, 3), stride: (2, 2), padding: (1, 1)) },
        "avg_pool2d_nopad": { $0[0].avgPool2d(kernelSize: (3, 3), stride: (2, 2), padding: (1, 1), ceilMode: true, countIncludePad: false) },
        "avg_pool2d_div": { $0[0].avgPool2d(kernelSize: (2, 2), divisorOverride: 3) },
        "max_pool1d": { $0[0].maxPool1d(kernelSize: 3, stride: 2, padding: 1) },
        "avg_pool1d": { $0[0].avgPool1d(kernelSize: 2) },
        "adaptive_avg_1": { $0[0].adaptiveAvgPool2d(1) },
        "adaptive_avg_odd": { $0[0].adaptiveAvgPool2d(outputSize: (3, 4)) },
        "adaptive_avg_h1": { $0[0].adaptiveAvgPool2d(outputSize: (nil, 1)) },
        "adaptive_avg_w1": { $0[0].adaptiveAvgPool2d(outputSize: (1, nil)) },
        "adaptive_max": { $0[0].adaptiveMaxPool2d(outputSize: (2, 3)) },
        "adaptive_max_1": { $0[0].adaptiveMaxPool2d(1) },
        "nearest_up": { $0[0].interpolate(scaleFactor: (2, 2), mode: .nearest) },
        "nearest_size": { $0[0].interpolate(size: (7, 3), mode: .nearest) },
        "bilinear_up": { $0[0].interpolate(size: (7, 9), mode: .bilinear, alignCorners: false) },
        "bilinear_up_ac": { $0[0].interpolate(size: (7, 9), mode: .bilinear, alignCorners: true) },
        "bilinear_down": { $0[0].interpolate(size: (3, 2), mode: .bilinear, alignCorners: false) },
    ])
}

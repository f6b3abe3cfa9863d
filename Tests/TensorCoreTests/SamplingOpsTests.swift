import TensorCore
import TestSupport
import Testing

/// Fixture cases of `ops_sampling.safetensors` (scripts/fixtures/make_sampling_ops.py): torch's
/// affine_grid / grid_sample and torchvision's deform_conv2d, values rtol 1e-4, gradients rtol 1e-3.
@Test("affine_grid, grid_sample and deform_conv2d match PyTorch / torchvision (values and gradients)")
func samplingOpsParity() throws {
    func dcn(stride: (Int, Int) = (1, 1), padding: (Int, Int) = (0, 0), dilation: (Int, Int) = (1, 1),
             bias: Bool = true, mask: Bool = true) -> ([Tensor]) -> Tensor {
        { t in
            t[0].deformConv2d(offset: t[1], weight: t[2], bias: bias ? t[3] : nil, mask: mask ? t[t.count - 1] : nil,
                              stride: stride, padding: padding, dilation: dilation)
        }
    }
    try replay("sampling", [
        "affine_grid_noac": { Tensor.affineGrid(theta: $0[0], size: [2, 3, 5, 7], alignCorners: false) },
        "affine_grid_ac": { Tensor.affineGrid(theta: $0[0], size: [2, 3, 5, 7], alignCorners: true) },
        "grid_sample_noac": { $0[0].gridSample($0[1], alignCorners: false) },
        "grid_sample_ac": { $0[0].gridSample($0[1], alignCorners: true) },
        "stn_chain_noac": { $0[0].gridSample(Tensor.affineGrid(theta: $0[1], size: [2, 3, 6, 7], alignCorners: false), alignCorners: false) },
        "stn_chain_ac": { $0[0].gridSample(Tensor.affineGrid(theta: $0[1], size: [2, 3, 6, 7], alignCorners: true), alignCorners: true) },
        "deform_basic": dcn(padding: (1, 1)),
        "deform_nomask_nobias": dcn(padding: (1, 1), bias: false, mask: false),
        "deform_stride_dil": dcn(stride: (2, 1), padding: (2, 1), dilation: (2, 2)),
        "deform_groups": dcn(padding: (1, 1)),
        "deform_offset_groups": dcn(padding: (1, 1)),
        "deform_groups_offset_groups": dcn(padding: (1, 1), mask: false),
        "deform_large_offsets": dcn(padding: (1, 1)),
        "deform_1x1_nopad": dcn(),
    ])
}

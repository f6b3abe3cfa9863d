import TensorCore
import TestSupport
import Testing

@Test("reductions and softmax match PyTorch (values and gradients)")
func reductionParity() throws {
    try replay("reduction", [
        "sum_all": { $0[0].sum() },
        "sum_axes_keep": { $0[0].sum(axes: [1, 3], keepDims: true) },
        "sum_axis": { $0[0].sum(axis: 2) },
        "mean_axes": { $0[0].mean(axes: [0, 2]) },
        "var_unbiased": { $0[0].variance(axes: [2, 3]) },
        "var_biased": { $0[0].variance(axes: [1], unbiased: false, keepDims: true) },
        "std": { $0[0].std(axes: [3]) },
        "amax_ties": { $0[0].amax(axes: [1]) },
        "amin_axes": { $0[0].amin(axes: [1, 2], keepDims: true) },
        "max_dim": { $0[0].max(axis: 2).values },
        "min_dim_keep": { $0[0].min(axis: 0, keepDims: true).values },
        "norm2": { $0[0].norm(axes: [1]) },
        "softmax_last": { $0[0].softmax(axis: -1) },
        "softmax_mid": { $0[0].softmax(axis: 1) },
        "log_softmax": { $0[0].logSoftmax(axis: 2) },
    ])
}

@Test("long rows, wide slabs and NaN in softmax, log-softmax, amax and amin match PyTorch")
func wideReductionParity() throws {
    try replay("reduction_wide", [
        "softmax_row37": { $0[0].softmax(axis: 1) },
        "softmax_slab": { $0[0].softmax(axis: 1) },
        "softmax_wide": { $0[0].softmax(axis: 0) },
        "log_softmax_slab": { $0[0].logSoftmax(axis: 1) },
        "log_softmax_row": { $0[0].logSoftmax(axis: -1) },
        "amax_row_nan": { $0[0].amax(axes: [1]) },
        "amin_row_nan": { $0[0].amin(axes: [1]) },
        "amax_col_nan": { $0[0].amax(axes: [0]) },
        "amax_row": { $0[0].amax(axes: [-1]) },
        "amin_col": { $0[0].amin(axes: [1]) },
    ])
}

@Test("max(dim) returns PyTorch's indices (first maximum)")
func maxIndices() {
    let x = Tensor([1, 5, 5, 2, 0, -1, 3, 3], shape: [2, 4])
    #expect(x.max(axis: 1).indices == [1, 2])
    #expect(x.argmin(axis: 1) == [0, 1])
}

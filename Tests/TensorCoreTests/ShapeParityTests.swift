import TensorCore
import TestSupport
import Testing

@Test("views, copies, matmul and indexing match PyTorch (values and gradients)")
func shapeParity() throws {
    try replay("shape", [
        "reshape": { $0[0].reshaped(4, 6) * Tensor.arange(0, 24).reshaped(4, 6) },
        "permute": { $0[0].permuted(2, 0, 1) },
        "transpose": { $0[0].transposed(0, 2) },
        "expand": { $0[0].expanded(2, 3, 4) },
        "unsqueeze_squeeze": { $0[0].unsqueezed(1).squeezed() },
        "slice_step": { $0[0].slice(axis: 1, start: 1).slice(axis: 2, start: 0, end: nil, step: 2) },
        "slice_neg": { $0[0].slice(axis: -1, start: -3, end: -1) },
        "cat": { Tensor.cat([$0[0], $0[1], $0[0]], axis: 1) },
        "stack": { Tensor.stack([$0[0], $0[1]], axis: 2) },
        "chunk0": { $0[0].chunked(3, axis: 2)[1] },
        "split1": { $0[0].split(sizes: [1, 2], axis: 1)[1] },
        "flatten": { $0[0].flattened(startDim: 1) },
        "repeat": { $0[0].repeated([2, 1, 3]) },
        "matmul2d": { $0[0].matmul($0[1]) },
        "matmul_batched": { $0[0].matmul($0[1]) },
        "matmul_bcast": { $0[0].matmul($0[1]) },
        "matmul_vec": { $0[0].matmul($0[1]) },
        "pad": { $0[0].padded([1, 2, 0, 1], value: 0.5) },
        "pad_crop": { $0[0].padded([-1, 1]) },
        "gather": { $0[0].gather(axis: 1, index: [0, 1, 2, 0, 2, 2, 1, 0], indexShape: [2, 1, 4]) },
        "index_select": { $0[0].indexSelect(axis: 2, indices: [3, 0, 3]) },
    ])
}

@Test("permutes that read the source transposed (tiled path) match PyTorch (values and gradients)")
func transposeParity() throws {
    try replay("shape_transpose", [
        "permute_nhwc": { $0[0].permuted(0, 2, 3, 1) },
        "transpose_2d": { $0[0].t },
        "permute_last_first": { $0[0].permuted(2, 0, 1) },
        "permute_outer_strided": { $0[0].permuted(1, 0, 3, 2) },
    ])
}

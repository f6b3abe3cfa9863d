#ifndef ATTNZOO_ROI_ALIGN_H
#define ATTNZOO_ROI_ALIGN_H
/// RoIAlign (torchvision.ops.roi_align) on channels-last feature maps, vectorised over channels.
///
/// `feat` is (n, h, w, c) (NHWC), `rois` K rows of (batch index, x1, y1, x2, y2); the batch
/// indices must already be valid integers in [0, n). Only the RoIs listed in `index[0..<count]`
/// are processed (all K in order when `index` is NULL, then `count` = K). Each sample point's
/// bilinear weights are computed once per RoI (torchvision's pre_calc, same float arithmetic
/// and clamp rules) and shared by all channels.

/// Writes out[r] (c, ph, pw) for each listed RoI r (out rows are RoI indices).
void azoo_roi_align_forward(const float *feat, long n, long h, long w, long c, const float *rois,
                            const long *index, long count, long ph, long pw, float scale, long sampling,
                            int aligned, float *out);

/// Adds the input gradient of channels c0..<c1 for the listed RoIs into gin (n, h, w, c) (NHWC),
/// from gout (K, c, ph, pw). Calls on disjoint channel ranges may run in parallel.
void azoo_roi_align_backward(const float *gout, long n, long h, long w, long c, const float *rois,
                             const long *index, long count, long ph, long pw, float scale, long sampling,
                             int aligned, long c0, long c1, float *gin);

/// The same two functions on the (n, c, h, w) map and gradient themselves (no transposed copy),
/// both for channels c0..<c1 only (all listed RoIs): `feat` and `gin` are (n, c, h, w). Calls on
/// disjoint channel ranges may run in parallel.
void azoo_roi_align_forward_planar(const float *feat, long n, long h, long w, long c, const float *rois,
                                   const long *index, long count, long ph, long pw, float scale, long sampling,
                                   int aligned, long c0, long c1, float *out);
void azoo_roi_align_backward_planar(const float *gout, long n, long h, long w, long c, const float *rois,
                                    const long *index, long count, long ph, long pw, float scale, long sampling,
                                    int aligned, long c0, long c1, float *gin);
#endif

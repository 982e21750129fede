#ifndef NEUROSPIKE_DIRECT_CONVOLUTION_H
#define NEUROSPIKE_DIRECT_CONVOLUTION_H

/// 1 when this CPU executes AVX-512 F, else 0.
int ns_cpu_has_avx512f(void);

/// Output voxels along x computed together by ns_conv3d_direct; the padded input needs this many
/// columns of slack past its right padding.
enum { NS_DIRECT_ROW = 8 };

/// Stride-1 fp32 3-D convolution, channels-last, by direct register blocking (no im2col).
/// input: one batch item, zero-padded, [d + k − 1][h + k − 1][pw][cin] with pw ≥ w + k − 1 + NS_DIRECT_ROW;
/// weights [k³][cin][cout] with cout a multiple of 16; bias [cout] or NULL; output [d][h][w][cout],
/// written for output planes z0 ≤ z < z1. Call only when ns_cpu_has_avx512f() is 1.
void ns_conv3d_direct(const float *input, int pw, const float *weights, const float *bias,
                      int h, int w, int k, int cin, int cout, int z0, int z1, float *output);

/// Weight gradient of ns_conv3d_direct: adds Σ over output voxels of input patch × gradOutput into
/// gradWeight [k³][cin][cout], for output planes z0 ≤ z < z1. input: padded as for ns_conv3d_direct;
/// gradOutput [d][h][w][cout]; cin a multiple of 8, cout of 16. Call only when ns_cpu_has_avx512f() is 1.
void ns_conv3d_direct_weight_gradient(const float *input, int pw, const float *gradOutput,
                                      int h, int w, int k, int cin, int cout, int z0, int z1, float *gradWeight);

#endif

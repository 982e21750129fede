#include "DirectConvolution.h"

#include <immintrin.h>

int ns_cpu_has_avx512f(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f");
}

__attribute__((target("avx512f")))
void ns_conv3d_direct(const float *input, int pw, const float *weights, const float *bias,
                      int h, int w, int k, int cin, int cout, int z0, int z1, float *output) {
    const int ph = h + k - 1;
    for (int z = z0; z < z1; z++)
        for (int y = 0; y < h; y++)
            for (int x0 = 0; x0 < w; x0 += NS_DIRECT_ROW)
                for (int block = 0; block < cout; block += 16) {
                    __m512 acc[NS_DIRECT_ROW];
                    const __m512 start = bias ? _mm512_loadu_ps(bias + block) : _mm512_setzero_ps();
                    for (int i = 0; i < NS_DIRECT_ROW; i++) acc[i] = start;
                    const float *tap = weights + block;
                    for (int kd = 0; kd < k; kd++)
                        for (int kh = 0; kh < k; kh++) {
                            const float *line = input + (((size_t)(z + kd) * ph + y + kh) * pw + x0) * cin;
                            for (int kw = 0; kw < k; kw++) {
                                const float *voxel = line + (size_t)kw * cin;
                                for (int c = 0; c < cin; c++) {
                                    const __m512 weight = _mm512_loadu_ps(tap + (size_t)c * cout);
                                    for (int i = 0; i < NS_DIRECT_ROW; i++)
                                        acc[i] = _mm512_fmadd_ps(_mm512_set1_ps(voxel[(size_t)i * cin + c]), weight, acc[i]);
                                }
                                tap += (size_t)cin * cout;
                            }
                        }
                    const int n = w - x0 < NS_DIRECT_ROW ? w - x0 : NS_DIRECT_ROW;
                    for (int i = 0; i < n; i++)
                        _mm512_storeu_ps(output + (((size_t)z * h + y) * w + x0 + i) * cout + block, acc[i]);
                }
}

/// Input channels whose weight-gradient rows stay in registers while a line of gradients streams by.
enum { CHANNEL_BLOCK = 8 };

__attribute__((target("avx512f")))
void ns_conv3d_direct_weight_gradient(const float *input, int pw, const float *gradOutput,
                                      int h, int w, int k, int cin, int cout, int z0, int z1, float *gradWeight) {
    const int ph = h + k - 1;
    for (int z = z0; z < z1; z++)
        for (int y = 0; y < h; y++) {
            const float *gradients = gradOutput + ((size_t)z * h + y) * w * cout;
            for (int kd = 0; kd < k; kd++)
                for (int kh = 0; kh < k; kh++)
                    for (int kw = 0; kw < k; kw++) {
                        const float *line = input + (((size_t)(z + kd) * ph + y + kh) * pw + kw) * cin;
                        float *tap = gradWeight + (((size_t)kd * k + kh) * k + kw) * cin * cout;
                        for (int c0 = 0; c0 < cin; c0 += CHANNEL_BLOCK)
                            for (int block = 0; block < cout; block += 16) {
                                __m512 acc[CHANNEL_BLOCK];
                                for (int j = 0; j < CHANNEL_BLOCK; j++)
                                    acc[j] = _mm512_loadu_ps(tap + (size_t)(c0 + j) * cout + block);
                                for (int x = 0; x < w; x++) {
                                    const __m512 g = _mm512_loadu_ps(gradients + (size_t)x * cout + block);
                                    const float *voxel = line + (size_t)x * cin + c0;
                                    for (int j = 0; j < CHANNEL_BLOCK; j++)
                                        acc[j] = _mm512_fmadd_ps(_mm512_set1_ps(voxel[j]), g, acc[j]);
                                }
                                for (int j = 0; j < CHANNEL_BLOCK; j++)
                                    _mm512_storeu_ps(tap + (size_t)(c0 + j) * cout + block, acc[j]);
                            }
                    }
        }
}

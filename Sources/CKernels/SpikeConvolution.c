#include "CKernels.h"

#include <immintrin.h>
#include <string.h>

int ns_cpu_has_avx512_vnni(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512vnni") && __builtin_cpu_supports("avx512bw");
}

void ns_pack_weights_s8(const int8_t *weights, int taps, int cin, int cout, int8_t *packed) {
    for (int t = 0; t < taps; t++)
        for (int c4 = 0; c4 < cin / 4; c4++)
            for (int block = 0; block < cout / 16; block++)
                for (int o = 0; o < 16; o++)
                    for (int j = 0; j < 4; j++)
                        *packed++ = weights[((size_t)t * cin + c4 * 4 + j) * cout + block * 16 + o];
}

int ns_pad_counts_u8(const float *input, int d, int h, int w, int c, int pad, int z0, int z1, uint8_t *padded) {
    (void)d;
    const int ph = h + 2 * pad, pw = w + 2 * pad;
    int invalid = 0;
    for (int z = z0; z < z1; z++)
        for (int y = 0; y < h; y++) {
            const float *source = input + ((size_t)z * h + y) * w * c;
            uint8_t *target = padded + (((size_t)(z + pad) * ph + y + pad) * pw + pad) * c;
            for (int i = 0; i < w * c; i++) {
                const float value = source[i];
                const int count = (int)value;
                invalid += (float)count != value || count < 0 || count > 255;
                target[i] = (uint8_t)count;
            }
        }
    return invalid;
}

/// Output voxels computed together: their accumulators stay in registers while one weight vector is reused.
enum { ROW_BLOCK = 8 };

__attribute__((target("avx512f,avx512bw,avx512vnni")))
void ns_conv3d_u8s8(const uint8_t *input, const int8_t *packed, const float *scale, const float *bias,
                    int d, int h, int w, int k, int cin, int cout, int z0, int z1, float *output) {
    (void)d;
    const int ph = h + k - 1, pw = w + k - 1, groups = cin / 4, blocks = cout / 16;
    for (int z = z0; z < z1; z++)
        for (int y = 0; y < h; y++)
            for (int x0 = 0; x0 < w; x0 += ROW_BLOCK) {
                const int n = w - x0 < ROW_BLOCK ? w - x0 : ROW_BLOCK;
                for (int block = 0; block < blocks; block++) {
                    __m512i acc[ROW_BLOCK];
                    for (int i = 0; i < ROW_BLOCK; i++) acc[i] = _mm512_setzero_si512();
                    const int8_t *wp = packed + (size_t)block * 64;
                    for (int kd = 0; kd < k; kd++)
                        for (int kh = 0; kh < k; kh++) {
                            const uint8_t *line = input + (((size_t)(z + kd) * ph + y + kh) * pw + x0) * cin;
                            for (int kw = 0; kw < k; kw++) {
                                const uint8_t *voxel = line + (size_t)kw * cin;
                                for (int g = 0; g < groups; g++) {
                                    const __m512i weights = _mm512_loadu_si512(wp + (size_t)g * blocks * 64);
                                    for (int i = 0; i < n; i++) {
                                        int32_t quad;
                                        memcpy(&quad, voxel + (size_t)i * cin + g * 4, 4);
                                        acc[i] = _mm512_dpbusd_epi32(acc[i], _mm512_set1_epi32(quad), weights);
                                    }
                                }
                                wp += (size_t)groups * blocks * 64;
                            }
                        }
                    const __m512 s = _mm512_loadu_ps(scale + block * 16), b = _mm512_loadu_ps(bias + block * 16);
                    for (int i = 0; i < n; i++) {
                        float *out = output + (((size_t)z * h + y) * w + x0 + i) * cout + block * 16;
                        _mm512_storeu_ps(out, _mm512_fmadd_ps(_mm512_cvtepi32_ps(acc[i]), s, b));
                    }
                }
            }
}

int ns_collect_events(const float *plane, int h, int w, int cin, ns_spike_event *events) {
    int n = 0;
    for (int voxel = 0; voxel < h * w; voxel++)
        for (int c = 0; c < cin; c++) {
            const float value = plane[(size_t)voxel * cin + c];
            if (value != 0) events[n++] = (ns_spike_event){voxel, (int16_t)c, (int16_t)value};
        }
    return n;
}

__attribute__((target("avx512f")))
void ns_conv3d_events(const ns_spike_event *const *planes, const int *counts, const float *weights,
                      int d, int h, int w, int k, int cin, int cout, int z0, int z1, float *output) {
    const int pad = k / 2, blocks = cout / 16;
    for (int z = z0; z < z1; z++)
        for (int kd = 0; kd < k; kd++) {
            const int iz = z + kd - pad;
            if (iz < 0 || iz >= d) continue;
            for (int e = 0; e < counts[iz]; e++) {
                const ns_spike_event event = planes[iz][e];
                const int iy = event.voxel / w, ix = event.voxel % w;
                const __m512 count = _mm512_set1_ps((float)event.count);
                for (int kh = 0; kh < k; kh++) {
                    const int y = iy - kh + pad;
                    if (y < 0 || y >= h) continue;
                    for (int kw = 0; kw < k; kw++) {
                        const int x = ix - kw + pad;
                        if (x < 0 || x >= w) continue;
                        const float *row = weights + ((((size_t)kd * k + kh) * k + kw) * cin + event.channel) * cout;
                        float *out = output + (((size_t)z * h + y) * w + x) * cout;
                        for (int block = 0; block < blocks; block++) {
                            const __m512 sum = _mm512_fmadd_ps(count, _mm512_loadu_ps(row + block * 16),
                                                               _mm512_loadu_ps(out + block * 16));
                            _mm512_storeu_ps(out + block * 16, sum);
                        }
                    }
                }
            }
        }
}

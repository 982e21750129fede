#ifndef NEUROSPIKE_CKERNELS_H
#define NEUROSPIKE_CKERNELS_H

#include <stdint.h>

#include "DirectConvolution.h"

/// 1 when this CPU executes AVX-512 VNNI (vpdpbusd), else 0.
int ns_cpu_has_avx512_vnni(void);

/// Packs int8 weights [k³][cin][cout] for ns_conv3d_u8s8: [k³][cin/4][cout/16][16 cout][4 cin].
/// cin must be a multiple of 4 and cout of 16.
void ns_pack_weights_s8(const int8_t *weights, int taps, int cin, int cout, int8_t *packed);

/// Copies input planes z0 ≤ z < z1 of a [d][h][w][c] fp32 count volume into the interior of a zero-padded
/// [d + 2·pad][h + 2·pad][w + 2·pad][c] uint8 volume; returns how many values were not integers in 0…255.
int ns_pad_counts_u8(const float *input, int d, int h, int w, int c, int pad, int z0, int z1, uint8_t *padded);

/// Stride-1 3-D convolution of unsigned 8-bit spike counts by int8 weights with AVX-512 VNNI.
/// input: zero-padded NDHWC volume of one batch item, [d + k − 1][h + k − 1][w + k − 1][cin] uint8;
/// packed: from ns_pack_weights_s8; output: [d][h][w][cout] fp32 = int32 sum × scale[co] + bias[co],
/// for output planes z0 ≤ z < z1 only (so threads can split the planes). Call only when
/// ns_cpu_has_avx512_vnni() is 1.
void ns_conv3d_u8s8(const uint8_t *input, const int8_t *packed, const float *scale, const float *bias,
                    int d, int h, int w, int k, int cin, int cout, int z0, int z1, float *output);

/// One spike event: a non-zero count at a voxel of an input plane.
typedef struct {
    int32_t voxel;   ///< y · w + x within the plane
    int16_t channel;
    int16_t count;
} ns_spike_event;

/// Lists the non-zero counts of one [h][w][cin] fp32 plane; returns how many were written to events.
int ns_collect_events(const float *plane, int h, int w, int cin, ns_spike_event *events);

/// Event-driven stride-1, "same"-padded 3-D convolution: every event adds count × weight row to the
/// outputs it reaches. planes[z] lists the events of input plane z (counts[z] of them); weights
/// [k³][cin][cout] fp32; output [d][h][w][cout], initialised to the bias by the caller, updated for
/// output planes z0 ≤ z < z1 only. cout must be a multiple of 16.
void ns_conv3d_events(const ns_spike_event *const *planes, const int *counts, const float *weights,
                      int d, int h, int w, int k, int cin, int cout, int z0, int z1, float *output);

#endif

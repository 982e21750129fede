#version 450
// 3-D convolution as an implicit GEMM: rows are output voxels (NDHWC order), columns output channels, and
// the reduction runs over the k³·Cin taps in weight order [kD, kH, kW, Cin] — the im2col matrix is never
// stored, each tile gathers its input values directly.
#include "common.glsl"

float loadA(int m, int k);
float loadB(int k, int n);
void store(int m, int n, float value);
#include "gemm.glsl"

layout(std430, binding = 0) readonly buffer Input { float x[]; };      // [N, D, H, W, Cin]
layout(std430, binding = 1) readonly buffer Weight { float w[]; };     // [k, k, k, Cin, Cout]
layout(std430, binding = 2) readonly buffer Bias { float bias[]; };    // [Cout]
layout(std430, binding = 3) writeonly buffer Output { float y[]; };    // [N, D', H', W', Cout]

layout(push_constant) uniform Parameters {
    int inD, inH, inW, inC;
    int outD, outH, outW, outC;
    int kernelSize, stride, padding;
    int voxels;
};

float loadA(int m, int k) {
    int ox = m % outW, rest = m / outW;
    int oy = rest % outH; rest /= outH;
    int oz = rest % outD; int batch = rest / outD;
    int channel = k % inC, tap = k / inC;
    int kx = tap % kernelSize, ky = (tap / kernelSize) % kernelSize, kz = tap / (kernelSize * kernelSize);
    int z = oz * stride - padding + kz, yy = oy * stride - padding + ky, xx = ox * stride - padding + kx;
    if (z < 0 || z >= inD || yy < 0 || yy >= inH || xx < 0 || xx >= inW) return 0.0;
    return x[(((batch * inD + z) * inH + yy) * inW + xx) * inC + channel];
}

float loadB(int k, int n) { return w[k * outC + n]; }

void store(int m, int n, float value) { y[m * outC + n] = value + bias[n]; }

void main() {
    gemm(voxels, outC, kernelSize * kernelSize * kernelSize * inC);
}

#version 450
// Transposed 3-D convolution (the adjoint of conv3d), gathered: each invocation owns one output value and
// sums the input voxels whose receptive field covers it.
layout(local_size_x_id = 0) in;
#include "common.glsl"

layout(std430, binding = 0) readonly buffer Input { float x[]; };      // [N, D, H, W, Cin]
layout(std430, binding = 1) readonly buffer Weight { float w[]; };     // [k, k, k, Cout, Cin]
layout(std430, binding = 2) readonly buffer Bias { float bias[]; };    // [Cout]
layout(std430, binding = 3) writeonly buffer Output { float y[]; };    // [N, D', H', W', Cout]

layout(push_constant) uniform Parameters {
    int inD, inH, inW, inC;
    int outD, outH, outW, outC;
    int kernelSize, stride, padding;
    int count;
};

void main() {
    int index = int(flatInvocation());
    if (index >= count) return;
    int channel = index % outC, rest = index / outC;
    int ox = rest % outW; rest /= outW;
    int oy = rest % outH; rest /= outH;
    int oz = rest % outD; int batch = rest / outD;
    float sum = 0.0;
    for (int kz = 0; kz < kernelSize; ++kz) {
        int tz = oz + padding - kz;
        if (tz < 0 || tz % stride != 0 || tz / stride >= inD) continue;
        for (int ky = 0; ky < kernelSize; ++ky) {
            int ty = oy + padding - ky;
            if (ty < 0 || ty % stride != 0 || ty / stride >= inH) continue;
            for (int kx = 0; kx < kernelSize; ++kx) {
                int tx = ox + padding - kx;
                if (tx < 0 || tx % stride != 0 || tx / stride >= inW) continue;
                int source = (((batch * inD + tz / stride) * inH + ty / stride) * inW + tx / stride) * inC;
                int taps = (((kz * kernelSize + ky) * kernelSize + kx) * outC + channel) * inC;
                for (int c = 0; c < inC; ++c) sum = fma(x[source + c], w[taps + c], sum);
            }
        }
    }
    y[index] = sum + bias[channel];
}

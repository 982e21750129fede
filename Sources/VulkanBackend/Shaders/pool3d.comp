#version 450
// Max or average pooling over non-overlapping size³ windows of an NDHWC volume; one invocation per output value.
layout(local_size_x_id = 0) in;
#include "common.glsl"
layout(constant_id = 1) const bool AVERAGE = false;

layout(std430, binding = 0) readonly buffer Input { float x[]; };      // [N, D, H, W, C]
layout(std430, binding = 1) writeonly buffer Output { float y[]; };    // [N, D/size, H/size, W/size, C]

layout(push_constant) uniform Parameters {
    int outD, outH, outW, channels;
    int size;
    int count;
};

void main() {
    int index = int(flatInvocation());
    if (index >= count) return;
    int channel = index % channels, rest = index / channels;
    int ox = rest % outW; rest /= outW;
    int oy = rest % outH; rest /= outH;
    int oz = rest % outD; int batch = rest / outD;
    int inH = outH * size, inW = outW * size;
    float scale = 1.0 / float(size * size * size);
    float result = AVERAGE ? 0.0 : -1.0 / 0.0;
    for (int dz = 0; dz < size; ++dz) {
        for (int dy = 0; dy < size; ++dy) {
            int line = ((batch * outD * size + oz * size + dz) * inH + oy * size + dy) * inW + ox * size;
            for (int dx = 0; dx < size; ++dx) {
                float v = x[(line + dx) * channels + channel];
                result = AVERAGE ? result + v * scale : max(result, v);
            }
        }
    }
    y[index] = result;
}

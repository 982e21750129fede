#version 450
// Maps along the last axis, one invocation per row: RMS normalisation, softmax, argmax, and SpikingBrain's
// adaptive spike counts (θ = mean|x| / k per row). Sums run serially so they round as the CPU's do
// (`precise` keeps the adaptive threshold's sum from being reassociated: its counts must match exactly).
layout(local_size_x_id = 0) in;
#include "common.glsl"
// 0 RMS norm (times the row vector), 1 softmax, 2 argmax (first maximum, as a float index), 3 adaptive spikes.
layout(constant_id = 1) const int OPERATION = 0;

layout(std430, binding = 0) readonly buffer Input { float x[]; };      // [rows, width]
layout(std430, binding = 1) readonly buffer Vector { float g[]; };     // RMS norm γ [width]
layout(std430, binding = 2) writeonly buffer Output { float y[]; };    // [rows, width], argmax [rows]
layout(std430, binding = 3) writeonly buffer RowValues { float r[]; }; // adaptive spikes: θ [rows]

layout(push_constant) uniform Parameters {
    int rows, width;
    float parameter;   // RMS norm ε; adaptive spikes: k
    float maxCount;
};

void main() {
    int row = int(flatInvocation());
    if (row >= rows) return;
    int base = row * width;
    if (OPERATION == 0) {
        float squares = 0.0;
        for (int i = 0; i < width; ++i) squares += x[base + i] * x[base + i];
        float inverse = 1.0 / sqrt(squares / float(width) + parameter);
        for (int i = 0; i < width; ++i) y[base + i] = x[base + i] * (inverse * g[i]);
    } else if (OPERATION == 1) {
        float largest = -1.0 / 0.0;
        for (int i = 0; i < width; ++i) largest = max(largest, x[base + i]);
        float sum = 0.0;
        for (int i = 0; i < width; ++i) sum += exp(x[base + i] - largest);
        for (int i = 0; i < width; ++i) y[base + i] = exp(x[base + i] - largest) / sum;
    } else if (OPERATION == 2) {
        int best = 0;
        for (int i = 1; i < width; ++i) if (x[base + i] > x[base + best]) best = i;
        y[row] = float(best);
    } else {
        precise float sum = 0.0;
        for (int i = 0; i < width; ++i) sum += abs(x[base + i]);
        float theta = divideExactly(divideExactly(sum, float(width)), parameter);
        r[row] = theta;
        for (int i = 0; i < width; ++i)
            y[base + i] = theta > 0.0 ? clamp(roundEven(divideExactly(x[base + i], theta)), -maxCount, maxCount) : 0.0;
    }
}

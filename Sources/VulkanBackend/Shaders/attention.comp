#version 450
// Causal sliding-window softmax attention over q, k, v [T, H, Dh]; one invocation per (token, head).
layout(local_size_x_id = 0) in;
#include "common.glsl"

layout(std430, binding = 0) readonly buffer Queries { float q[]; };
layout(std430, binding = 1) readonly buffer Keys { float k[]; };
layout(std430, binding = 2) readonly buffer Values { float v[]; };
layout(std430, binding = 3) buffer Output { float o[]; };

layout(push_constant) uniform Parameters {
    int tokens, heads, width, window;
};

float score(int query, int key) {
    float dot = 0.0;
    for (int i = 0; i < width; ++i) dot += q[query + i] * k[key + i];
    return dot * (1.0 / sqrt(float(width)));
}

void main() {
    int index = int(flatInvocation());
    if (index >= tokens * heads) return;
    int token = index / heads, head = index % heads;
    int row = index * width, first = max(0, token - window + 1);
    float largest = -1.0 / 0.0;
    for (int s = first; s <= token; ++s) largest = max(largest, score(row, (s * heads + head) * width));
    for (int i = 0; i < width; ++i) o[row + i] = 0.0;
    float sum = 0.0;
    for (int s = first; s <= token; ++s) {
        int column = (s * heads + head) * width;
        float weight = exp(score(row, column) - largest);
        sum += weight;
        for (int i = 0; i < width; ++i) o[row + i] += weight * v[column + i];
    }
    for (int i = 0; i < width; ++i) o[row + i] /= sum;
}

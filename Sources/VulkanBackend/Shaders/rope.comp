#version 450
// Rotary position embedding of [T, H, Dh]: pair (2i, 2i+1) of token t turns by the angle whose cosine and
// sine the host tabulated (in double precision, as the CPU backend computes them).
layout(local_size_x_id = 0) in;
#include "common.glsl"

layout(std430, binding = 0) readonly buffer Input { float x[]; };      // [T, H, Dh]
layout(std430, binding = 1) readonly buffer Angles { float table[]; }; // [T, Dh/2, 2]: cos, sin
layout(std430, binding = 2) writeonly buffer Output { float y[]; };

layout(push_constant) uniform Parameters {
    int tokens, heads, width;
};

void main() {
    int index = int(flatInvocation());
    int pairs = width / 2;
    if (index >= tokens * heads * pairs) return;
    int pair = index % pairs, token = index / (pairs * heads);
    int base = 2 * index;
    float cosine = table[2 * (token * pairs + pair)], sine = table[2 * (token * pairs + pair) + 1];
    float a = x[base], b = x[base + 1];
    y[base] = a * cosine - b * sine;
    y[base + 1] = a * sine + b * cosine;
}

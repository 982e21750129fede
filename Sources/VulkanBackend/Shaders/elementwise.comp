#version 450
// Pointwise maps: unary functions, binary ops with a broadcast second operand, spike counts.
layout(local_size_x_id = 0) in;
#include "common.glsl"
// Which map: 0 relu, 1 clipped relu, 2 silu, 3 sigmoid, 4 log-sigmoid, 5 exp, 6 negate, 7 scale, 8 square,
// 10 add, 11 subtract, 12 multiply, 20 spike counts clamp(round(x / θ), 0, parameter).
layout(constant_id = 1) const int OPERATION = 0;

layout(std430, binding = 0) readonly buffer Input { float x[]; };
// Second operand (binary ops) or thresholds (spike counts): `width` values repeated along x.
layout(std430, binding = 1) readonly buffer Operand { float y[]; };
layout(std430, binding = 2) writeonly buffer Output { float z[]; };

layout(push_constant) uniform Parameters {
    uint count;
    uint width;
    float parameter;
};

void main() {
    uint index = flatInvocation();
    if (index >= count) return;
    float v = x[index];
    float result;
    switch (OPERATION) {
    case 0: result = max(v, 0.0); break;
    case 1: result = min(max(v, 0.0), parameter); break;
    case 2: result = v / (1.0 + exp(-v)); break;
    case 3: result = 1.0 / (1.0 + exp(-v)); break;
    case 4: result = min(v, 0.0) - log(1.0 + exp(-abs(v))); break;
    case 5: result = exp(v); break;
    case 6: result = -v; break;
    case 7: result = v * parameter; break;
    case 8: result = v * v; break;
    case 10: result = v + y[index % width]; break;
    case 11: result = v - y[index % width]; break;
    case 12: result = v * y[index % width]; break;
    default: result = clamp(roundEven(divideExactly(v, y[index % width])), 0.0, parameter); break;
    }
    z[index] = result;
}

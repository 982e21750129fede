#version 450
// Gated linear attention, token by token: S_t = diag(exp(logDecay_t)) S_{t−1} + k_tᵀ v_t, o_t = (q_t/√Dk) S_t.
// A workgroup holds one head's state for a block of value columns: invocation (i, j) keeps S[i, j] in a
// register, and o_t[j] is a tree sum over i in shared memory.
layout(local_size_x_id = 0) in;   // at least Dk invocations
#include "common.glsl"

layout(std430, binding = 0) readonly buffer Queries { float q[]; };        // [T, H, Dk]
layout(std430, binding = 1) readonly buffer Keys { float k[]; };           // [T, H, Dk]
layout(std430, binding = 2) readonly buffer Values { float v[]; };         // [T, H, Dv]
layout(std430, binding = 3) readonly buffer LogDecay { float decay[]; };   // [T, H, Dk]
layout(std430, binding = 4) readonly buffer InitialState { float initial[]; }; // [H, Dk, Dv]
layout(std430, binding = 5) writeonly buffer Output { float o[]; };        // [T, H, Dv]
layout(std430, binding = 6) writeonly buffer FinalState { float state[]; };    // [H, Dk, Dv]

layout(push_constant) uniform Parameters {
    int tokens, heads, keyWidth, valueWidth;
    int reductionWidth;   // the power of two at or above Dk
};

shared float partial[gl_WorkGroupSize.x];

void main() {
    int local = int(gl_LocalInvocationID.x);
    int columnsPerGroup = int(gl_WorkGroupSize.x) / keyWidth;
    int head = int(gl_WorkGroupID.y);
    int i = local % keyWidth, j = int(gl_WorkGroupID.x) * columnsPerGroup + local / keyWidth;
    bool owner = local < columnsPerGroup * keyWidth && j < valueWidth;
    int stateIndex = (head * keyWidth + i) * valueWidth + j;
    float s = owner ? initial[stateIndex] : 0.0;
    float scale = 1.0 / sqrt(float(keyWidth));
    for (int t = 0; t < tokens; ++t) {
        int key = (t * heads + head) * keyWidth + i, value = (t * heads + head) * valueWidth + j;
        if (owner) s = exp(decay[key]) * s + k[key] * v[value];
        partial[local] = owner ? q[key] * scale * s : 0.0;
        barrier();
        for (int step = reductionWidth / 2; step > 0; step /= 2) {
            if (owner && i < step && i + step < keyWidth) partial[local] += partial[local + step];
            barrier();
        }
        if (owner && i == 0) o[value] = partial[local];
        barrier();
    }
    if (owner) state[stateIndex] = s;
}

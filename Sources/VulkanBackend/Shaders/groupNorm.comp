#version 450
// Group normalisation of [N, …, C] in two dispatches: STATISTICS (one workgroup per batch and group: mean
// and 1/σ, two passes over the data, tree reduction in shared memory), then the per-value affine map.
layout(local_size_x_id = 0) in;   // a power of two
#include "common.glsl"
layout(constant_id = 1) const bool STATISTICS = true;

layout(std430, binding = 0) readonly buffer Input { float x[]; };
layout(std430, binding = 1) readonly buffer Gamma { float gamma[]; };  // [C]
layout(std430, binding = 2) readonly buffer Beta { float beta[]; };    // [C]
layout(std430, binding = 3) buffer Statistics { float stats[]; };      // [N, groups, 2]: mean, 1/σ
layout(std430, binding = 4) writeonly buffer Output { float y[]; };

layout(push_constant) uniform Parameters {
    int positions, channels, groups;
    float epsilon;
    int count;
};

shared float partial[gl_WorkGroupSize.x];

// Σ of every invocation's `value`, visible to all of them.
float workgroupSum(float value) {
    uint local = gl_LocalInvocationID.x;
    partial[local] = value;
    barrier();
    for (uint step = gl_WorkGroupSize.x / 2; step > 0; step /= 2) {
        if (local < step) partial[local] += partial[local + step];
        barrier();
    }
    float total = partial[0];
    barrier();
    return total;
}

void main() {
    int width = channels / groups;
    if (STATISTICS) {
        int slot = int(gl_WorkGroupID.x), batch = slot / groups, group = slot % groups;
        int values = positions * width;
        int threads = int(gl_WorkGroupSize.x), local = int(gl_LocalInvocationID.x);
        float sum = 0.0;
        for (int e = local; e < values; e += threads)
            sum += x[(batch * positions + e / width) * channels + group * width + e % width];
        float mean = workgroupSum(sum) / float(values);
        float squares = 0.0;
        for (int e = local; e < values; e += threads) {
            float d = x[(batch * positions + e / width) * channels + group * width + e % width] - mean;
            squares += d * d;
        }
        float variance = workgroupSum(squares) / float(values);
        if (local == 0) {
            stats[2 * slot] = mean;
            stats[2 * slot + 1] = inversesqrt(variance + epsilon);
        }
    } else {
        int index = int(flatInvocation());
        if (index >= count) return;
        int channel = index % channels, batch = index / (channels * positions);
        int slot = batch * groups + channel / width;
        y[index] = (x[index] - stats[2 * slot]) * stats[2 * slot + 1] * gamma[channel] + beta[channel];
    }
}

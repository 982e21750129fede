#version 450
// Row copies between strided layouts: a slice or one part of a concatenation (rows of `width` values at
// an offset inside longer rows), or an embedding lookup (GATHER: row r reads source row ids[r]).
layout(local_size_x_id = 0) in;
#include "common.glsl"
layout(constant_id = 1) const bool GATHER = false;

layout(std430, binding = 0) readonly buffer Source { float source[]; };
layout(std430, binding = 1) readonly buffer Ids { int ids[]; };
layout(std430, binding = 2) buffer Destination { float destination[]; };

layout(push_constant) uniform Parameters {
    int rows, width;
    int sourceStride, sourceOffset;
    int destinationStride, destinationOffset;
};

void main() {
    int index = int(flatInvocation());
    if (index >= rows * width) return;
    int row = index / width, column = index % width;
    int sourceRow = GATHER ? ids[row] : row;
    destination[row * destinationStride + destinationOffset + column] = source[sourceRow * sourceStride + sourceOffset + column];
}

#version 450
// C[M, N] = op(A) · op(B) for row-major A and B, each optionally transposed.
#include "common.glsl"

float loadA(int m, int k);
float loadB(int k, int n);
void store(int m, int n, float value);
#include "gemm.glsl"

layout(constant_id = 5) const bool TRANSPOSE_A = false;
layout(constant_id = 6) const bool TRANSPOSE_B = false;

layout(std430, binding = 0) readonly buffer MatrixA { float a[]; };
layout(std430, binding = 1) readonly buffer MatrixB { float b[]; };
layout(std430, binding = 2) writeonly buffer MatrixC { float c[]; };

layout(push_constant) uniform Parameters {
    int rows, columns, inner;   // M, N, K
    int strideA, strideB;       // row lengths of A and B as stored
};

float loadA(int m, int k) { return TRANSPOSE_A ? a[k * strideA + m] : a[m * strideA + k]; }
float loadB(int k, int n) { return TRANSPOSE_B ? b[n * strideB + k] : b[k * strideB + n]; }
void store(int m, int n, float value) { c[m * columns + n] = value; }

void main() {
    gemm(rows, columns, inner);
}

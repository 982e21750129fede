// A tiled GEMM C[M, N] = A[M, K] · B[K, N] through shared memory with fp32 accumulation. The including
// shader defines loadA(m, k), loadB(k, n) (called inside the bounds only) and store(m, n, value) first.
//
// A workgroup of WG_M × WG_N invocations computes a TILE_M × TILE_N block of C, each invocation a
// MICRO_M × MICRO_N micro-tile strided by the workgroup extent; K advances TILE_K at a time.
layout(local_size_x_id = 0, local_size_y_id = 1) in;
layout(constant_id = 2) const int MICRO_M = 4;
layout(constant_id = 3) const int MICRO_N = 4;
layout(constant_id = 4) const int TILE_K = 16;

const int WG_M = int(gl_WorkGroupSize.x);
const int WG_N = int(gl_WorkGroupSize.y);
const int TILE_M = WG_M * MICRO_M;
const int TILE_N = WG_N * MICRO_N;

shared float tileA[TILE_M * TILE_K];
shared float tileB[TILE_K * TILE_N];

// Row tiles run along workgroup x and z (z extends x past the 65 535-workgroup limit); column tiles along y.
void gemm(int M, int N, int K) {
    int threads = WG_M * WG_N;
    int local = int(gl_LocalInvocationIndex);
    int tx = int(gl_LocalInvocationID.x), ty = int(gl_LocalInvocationID.y);
    int m0 = int(gl_WorkGroupID.z * gl_NumWorkGroups.x + gl_WorkGroupID.x) * TILE_M;
    int n0 = int(gl_WorkGroupID.y) * TILE_N;
    if (m0 >= M) return;

    float acc[MICRO_M][MICRO_N];
    for (int i = 0; i < MICRO_M; ++i)
        for (int j = 0; j < MICRO_N; ++j) acc[i][j] = 0.0;

    for (int k0 = 0; k0 < K; k0 += TILE_K) {
        // A is stored k-fastest (consecutive invocations read consecutive k), B n-fastest.
        for (int e = local; e < TILE_M * TILE_K; e += threads) {
            int m = m0 + e / TILE_K, k = k0 + e % TILE_K;
            tileA[(e % TILE_K) * TILE_M + e / TILE_K] = (m < M && k < K) ? loadA(m, k) : 0.0;
        }
        for (int e = local; e < TILE_K * TILE_N; e += threads) {
            int k = k0 + e / TILE_N, n = n0 + e % TILE_N;
            tileB[e] = (k < K && n < N) ? loadB(k, n) : 0.0;
        }
        barrier();
        for (int kk = 0; kk < TILE_K; ++kk) {
            float a[MICRO_M], b[MICRO_N];
            for (int i = 0; i < MICRO_M; ++i) a[i] = tileA[kk * TILE_M + tx + i * WG_M];
            for (int j = 0; j < MICRO_N; ++j) b[j] = tileB[kk * TILE_N + ty + j * WG_N];
            for (int i = 0; i < MICRO_M; ++i)
                for (int j = 0; j < MICRO_N; ++j) acc[i][j] = fma(a[i], b[j], acc[i][j]);
        }
        barrier();
    }
    for (int i = 0; i < MICRO_M; ++i) {
        int m = m0 + tx + i * WG_M;
        for (int j = 0; j < MICRO_N; ++j) {
            int n = n0 + ty + j * WG_N;
            if (m < M && n < N) store(m, n, acc[i][j]);
        }
    }
}

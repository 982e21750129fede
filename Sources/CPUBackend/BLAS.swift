import CBLAS

/// The one door to OpenBLAS: row-major single-precision GEMM and the library's own thread count.
enum BLAS {
    /// OpenBLAS's internal threads; the CPU backend keeps it at 1 and splits work across cores itself.
    static func setThreadCount(_ count: Int) {
        openblas_set_num_threads(Int32(count))
    }

    /// `C[m×n] = op(A)·op(B) + beta·C`, row-major, with leading dimensions in elements.
    static func sgemm(transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int,
                      a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                      beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) {
        cblas_sgemm(CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
                    Int32(m), Int32(n), Int32(k), 1, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }
}

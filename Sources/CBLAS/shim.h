#include <cblas.h>

/// Declared by OpenBLAS's cblas.h as well; repeated so the module states what it relies on.
void openblas_set_num_threads(int num_threads);

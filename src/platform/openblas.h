// OpenBLAS's threading controls, looked up at run time: LibTorch reaches OpenBLAS through the
// BLAS interface only, and which OpenBLAS is loaded (pthreads, OpenMP, none) is the system's
// choice, so nothing here links against it.
#pragma once

namespace sm4 {

enum class OpenBlasThreading { None, Sequential, Pthreads, OpenMp };

struct OpenBlas {
    OpenBlasThreading threading = OpenBlasThreading::None;
    void (*set_threads)(int) = nullptr;  // null when OpenBLAS is not loaded
    int (*get_threads)() = nullptr;
};

// The loaded OpenBLAS, looked up once.
const OpenBlas& openblas();

}  // namespace sm4

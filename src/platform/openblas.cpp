#include "platform/openblas.h"

#include <dlfcn.h>

namespace sm4 {
namespace {

template <typename F>
F symbol(const char* name) {
    return reinterpret_cast<F>(dlsym(RTLD_DEFAULT, name));
}

OpenBlas look_up() {
    OpenBlas blas;
    blas.set_threads = symbol<void (*)(int)>("openblas_set_num_threads");
    blas.get_threads = symbol<int (*)()>("openblas_get_num_threads");
    const auto get_parallel = symbol<int (*)()>("openblas_get_parallel");  // 0 sequential, 1 pthreads, 2 OpenMP
    if (!blas.set_threads || !blas.get_threads || !get_parallel) return {};
    switch (get_parallel()) {
        case 0: blas.threading = OpenBlasThreading::Sequential; break;
        case 1: blas.threading = OpenBlasThreading::Pthreads; break;
        case 2: blas.threading = OpenBlasThreading::OpenMp; break;
        default: return {};
    }
    return blas;
}

}  // namespace

const OpenBlas& openblas() {
    static const OpenBlas blas = look_up();
    return blas;
}

}  // namespace sm4

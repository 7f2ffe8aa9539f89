#include "platform/threads.h"

#include "platform/cpu_allocator.h"

#include <ATen/Parallel.h>
#include <dlfcn.h>

#include <algorithm>
#include <thread>

namespace sm4 {
namespace {

using SetThreads = void (*)(int);
using GetInt = int (*)();

template <typename F>
F blas_symbol(const char* name) {
    return reinterpret_cast<F>(dlsym(RTLD_DEFAULT, name));
}

// openblas_get_parallel: 0 sequential, 1 pthreads, 2 OpenMP; -1 when OpenBLAS is not loaded.
int openblas_parallel_kind() {
    const auto get = blas_symbol<GetInt>("openblas_get_parallel");
    return get ? get() : -1;
}

}  // namespace

ThreadSettings apply_thread_count(std::int64_t threads) {
    const int n = static_cast<int>(threads > 0 ? threads : std::max(1u, std::thread::hardware_concurrency()));
    const auto set_blas = blas_symbol<SetThreads>("openblas_set_num_threads");
    const int kind = openblas_parallel_kind();
    if (set_blas && kind == 1) {
        at::set_num_threads(1);
        set_blas(n);
    } else if (set_blas && kind == 2) {
        at::set_num_threads(n);
        set_blas(n);
    } else {
        at::set_num_threads(n);
    }
    return current_thread_settings();
}

ThreadSettings configure_cpu_runtime(std::int64_t threads) {
    install_caching_cpu_allocator();
    return apply_thread_count(threads);
}

ThreadSettings current_thread_settings() {
    ThreadSettings s;
    s.intra_op = at::get_num_threads();
    const auto get_blas = blas_symbol<GetInt>("openblas_get_num_threads");
    s.blas = get_blas ? get_blas() : 0;
    const CpuAllocatorStats cache = cpu_allocator_stats();
    if (cache.installed) s.allocator_cache_bytes = cache.limit_bytes;
    switch (openblas_parallel_kind()) {
        case 1: s.policy = "pthreads OpenBLAS: matrix products on OpenBLAS threads, the OpenMP pool at one"; break;
        case 2: s.policy = "OpenMP OpenBLAS: one pool for both"; break;
        case 0: s.policy = "sequential OpenBLAS: LibTorch's OpenMP pool only"; break;
        default: s.policy = "no OpenBLAS: LibTorch's own pool"; break;
    }
    return s;
}

}  // namespace sm4

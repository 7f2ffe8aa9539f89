#include "platform/threads.h"

#include "platform/block_threads.h"
#include "platform/cpu_allocator.h"
#include "platform/openblas.h"

#include <ATen/Parallel.h>

#include <algorithm>
#include <cstdlib>
#include <thread>

namespace sm4 {

ThreadSettings apply_thread_count(std::int64_t threads) {
    const int n = static_cast<int>(threads > 0 ? threads : std::max(1u, std::thread::hardware_concurrency()));
    const OpenBlas& blas = openblas();
    if (blas.threading == OpenBlasThreading::Pthreads) {
        at::set_num_threads(1);
        const char* products = std::getenv("SM4_BLAS_THREADS");
        blas.set_threads(products != nullptr && std::atoi(products) > 0 ? std::min(n, std::atoi(products)) : n);
        set_block_threads(n);
    } else if (blas.threading == OpenBlasThreading::OpenMp) {
        at::set_num_threads(n);
        blas.set_threads(n);
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
    const OpenBlas& blas = openblas();
    s.blas = blas.get_threads ? blas.get_threads() : 0;
    const CpuAllocatorStats cache = cpu_allocator_stats();
    if (cache.installed) s.allocator_cache_bytes = cache.limit_bytes;
    switch (blas.threading) {
        case OpenBlasThreading::Pthreads: s.policy = "pthreads OpenBLAS: matrix products on OpenBLAS threads, the OpenMP pool at one"; break;
        case OpenBlasThreading::OpenMp: s.policy = "OpenMP OpenBLAS: one pool for both"; break;
        case OpenBlasThreading::Sequential: s.policy = "sequential OpenBLAS: LibTorch's OpenMP pool only"; break;
        case OpenBlasThreading::None: s.policy = "no OpenBLAS: LibTorch's own pool"; break;
    }
    return s;
}

std::int64_t threads_per_rank(std::int64_t threads, const LaunchEnv& launch) {
    if (threads > 0 || !launch.distributed()) return threads;
    const long ranks_here = launch.local_world_size > 0 ? launch.local_world_size : launch.world_size;
    const long cores = std::max(1L, static_cast<long>(std::thread::hardware_concurrency()));
    return std::max(1L, cores / ranks_here);
}

}  // namespace sm4

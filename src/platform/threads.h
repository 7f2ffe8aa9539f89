// CPU threading for training, evaluation and the bench.
#pragma once

#include "core/launch_env.h"

#include <cstdint>
#include <string>

namespace sm4 {

struct ThreadSettings {
    int intra_op = 1;    // LibTorch's intra-op (OpenMP) threads
    int blas = 0;        // OpenBLAS threads; 0 when matrix products do not go to OpenBLAS
    std::string policy;  // why, in a few words
    std::int64_t allocator_cache_bytes = -1;  // the caching CPU allocator's limit; -1 when not installed
};

// Spreads `threads` threads (0: every core) over LibTorch's OpenMP pool and OpenBLAS. With the
// pthreads OpenBLAS (Debian's default) two pools would share the cores, and both spin while
// waiting, so one must stay at one thread: matrix products are most of the work, so OpenBLAS
// gets the threads and the OpenMP pool one (docs/performance.md has the measurements). With the
// OpenMP OpenBLAS the pools are one and both get every thread; without OpenBLAS, LibTorch does.
ThreadSettings apply_thread_count(std::int64_t threads);

// What every job that runs a model calls first: apply_thread_count, then the caching CPU
// allocator (platform/cpu_allocator.h).
ThreadSettings configure_cpu_runtime(std::int64_t threads);

// The threads one rank of a data-parallel group should use: `threads` when set, else the
// machine's cores divided by the ranks on it (launch.local_world_size, else the world size); 0 (all
// cores) for a plain process.
std::int64_t threads_per_rank(std::int64_t threads, const LaunchEnv& launch);

// What is in effect now (OpenBLAS asked directly).
ThreadSettings current_thread_settings();

}  // namespace sm4

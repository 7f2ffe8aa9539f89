// A CPU allocator that keeps freed large blocks for reuse (LibTorch's own frees them at once).
//
// A training step allocates the same large tensors every step (activations, their gradients,
// the MoE's gathered rows). glibc serves blocks of more than a few MiB with a fresh mmap, so
// every step pays a page fault per 4 KiB page on first write, about a tenth of a step at
// d_model 256 (docs/performance.md). Cached blocks are reused by size, already faulted in, and
// blocks of 2 MiB and more are 2 MiB aligned and marked for transparent huge pages.
#pragma once

#include <cstdint>

namespace sm4 {

struct CpuAllocatorStats {
    bool installed = false;
    std::int64_t limit_bytes = 0;   // most bytes kept in the cache
    std::int64_t cached_bytes = 0;  // free blocks kept now
    std::int64_t hits = 0;          // large allocations served from the cache
    std::int64_t misses = 0;        // large allocations that asked the system
};

// Makes the caching allocator LibTorch's CPU allocator (once per process; later calls only
// change the limit). The limit is SM4_CPU_CACHE_MB when set (0 turns caching off), else an
// eighth of physical memory, at most 4 GiB. Tensors allocated before keep their own deleter.
void install_caching_cpu_allocator();

CpuAllocatorStats cpu_allocator_stats();

}  // namespace sm4

// Independent blocks of work (the MoE's experts) run side by side, each on one core.
//
// With Debian's pthreads OpenBLAS the matrix products run on OpenBLAS's threads and LibTorch's
// OpenMP pool stays at one (platform/threads.h). An expert's products are small, so letting
// OpenBLAS split each of them pays its fork/join once per product, and the GELU and bias sums
// between the products run on one core. Running whole experts on separate threads, with
// OpenBLAS held at one thread meanwhile, keeps every core busy with little synchronisation.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

namespace sm4 {

// How many threads run_blocks uses now: the OpenBLAS thread count with a pthreads OpenBLAS, else
// 1 (then the blocks run one after another on the calling thread, each product multithreaded as
// the BLAS and LibTorch choose).
int block_threads();

// Fixes block_threads() at `threads` (0: follow OpenBLAS's thread count again), so the blocks can
// use more threads than the matrix products outside them (platform/threads.h's policy).
void set_block_threads(int threads);

// Calls work(b) once for every b in `blocks`, largest first as given, on block_threads()
// threads (the caller's included), taking the next block as each thread frees. The threads share
// the caller's LibTorch thread-local state (grad mode, dispatch keys). The first exception a block
// throws is rethrown here once every thread has stopped. Each block must write only its own
// outputs; then the result does not depend on which thread ran which block.
void run_blocks(const std::vector<std::int64_t>& blocks, const std::function<void(std::int64_t)>& work);

// Calls work(begin, end) over [0, n) in ranges of at least `grain` items (whole ranges, any
// order): on the block threads when there are several, else through LibTorch's parallel_for.
// For row loops whose rows are independent, so the result does not depend on the split.
void parallel_ranges(std::int64_t n, std::int64_t grain, const std::function<void(std::int64_t, std::int64_t)>& work);

}  // namespace sm4

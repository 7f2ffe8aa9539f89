// CPU threading for training and evaluation.
#pragma once

#include <cstdint>

namespace sm4 {

// LibTorch's intra-op pool gets `threads` threads (0: every core). OpenBLAS is kept to one
// thread: sm4's matrices are small, and two pools on the same cores (OpenMP and OpenBLAS's own
// spinning threads) made training slower, not faster.
void apply_thread_count(std::int64_t threads);

}  // namespace sm4

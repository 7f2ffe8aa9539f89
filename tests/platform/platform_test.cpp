// The platform layer: the block threads that run experts side by side, the caching CPU
// allocator, and the quieting of OpenBLAS's idle workers during a region.
#include <ATen/ATen.h>
#include <catch.hpp>

#include <sched.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <vector>

#include "platform/block_threads.h"
#include "platform/cpu_allocator.h"
#include "platform/quiet_threads.h"

using namespace sm4;

TEST_CASE("kernels: run_blocks runs every block once and rethrows the first failure", "[platform][kernels]") {
    std::vector<std::int64_t> blocks;
    for (std::int64_t b = 0; b < 64; ++b) blocks.push_back(63 - b);
    std::vector<std::atomic<int>> runs(64);
    const int threads_before = block_threads();
    run_blocks(blocks, [&](std::int64_t b) {
        const at::Tensor a = at::randn({32, 32});
        at::mm(a, a);  // a product inside a block, as the experts do
        ++runs[static_cast<std::size_t>(b)];
    });
    for (const auto& r : runs) CHECK(r.load() == 1);
    CHECK_THROWS_WITH(run_blocks(blocks, [](std::int64_t b) {
                          if (b == 7) throw std::runtime_error("block 7 failed");
                      }),
                      "block 7 failed");
    CHECK(block_threads() == threads_before);  // OpenBLAS's thread count is given back
}

TEST_CASE("kernels: the caching CPU allocator hands a freed block back out, with the contents a tensor expects",
          "[platform][kernels]") {
    install_caching_cpu_allocator();
    const CpuAllocatorStats start = cpu_allocator_stats();
    REQUIRE(start.installed);
    REQUIRE(start.limit_bytes > (64 << 20));
    const void* first = nullptr;
    {
        const at::Tensor a = at::empty({1024, 1024});  // 4 MiB: cached when freed
        first = a.data_ptr();
    }
    const at::Tensor b = at::full({1024, 1024}, 2.5f);
    CHECK(b.data_ptr() == first);
    CHECK(cpu_allocator_stats().hits > start.hits);
    CHECK(b.sum().item<double>() == Approx(2.5 * 1024 * 1024));
    const at::Tensor small = at::ones({10});  // small blocks go to the system allocator
    CHECK(small.sum().item<double>() == 10.0);
}

TEST_CASE("kernels: a region's quieting makes the other threads SCHED_IDLE and gives their policy back",
          "[platform][kernels]") {
    if (!can_quiet_other_threads()) {
        WARN("not checked: this process may not restore a SCHED_IDLE thread (not root, RLIMIT_NICE < 20)");
        return;
    }
    std::mutex mutex;
    std::condition_variable changed;
    pid_t bystander = 0, member = 0;
    bool stop = false;
    const auto park = [&](pid_t& tid) {
        std::unique_lock<std::mutex> lock(mutex);
        tid = current_tid();
        changed.notify_all();
        changed.wait(lock, [&] { return stop; });
    };
    std::thread a([&] { park(bystander); }), b([&] { park(member); });
    {
        std::unique_lock<std::mutex> lock(mutex);
        changed.wait(lock, [&] { return bystander != 0 && member != 0; });
    }
    {
        const QuietOtherThreads quiet({member});
        CHECK(sched_getscheduler(bystander) == SCHED_IDLE);
        CHECK(sched_getscheduler(member) == SCHED_OTHER);        // the region's own threads keep the cores
        CHECK(sched_getscheduler(current_tid()) == SCHED_OTHER);  // and so does the caller
    }
    CHECK(sched_getscheduler(bystander) == SCHED_OTHER);
    {
        std::lock_guard<std::mutex> lock(mutex);
        stop = true;
    }
    changed.notify_all();
    a.join();
    b.join();
}


#include "platform/block_threads.h"

#include "platform/openblas.h"
#include "platform/quiet_threads.h"

#include <ATen/Parallel.h>
#include <ATen/ThreadLocalState.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdlib>
#include <exception>
#include <mutex>
#include <string>
#include <thread>

namespace sm4 {
namespace {

// One parallel region: the blocks, the next one to take, and the first failure.
struct Region {
    const std::vector<std::int64_t>* blocks = nullptr;
    const std::function<void(std::int64_t)>* work = nullptr;
    const at::ThreadLocalState* state = nullptr;
    std::atomic<std::size_t> next{0};
    std::mutex failure_mutex;
    std::exception_ptr failure;

    void drain() {
        for (std::size_t i = next++; i < blocks->size(); i = next++) {
            try {
                (*work)((*blocks)[i]);
            } catch (...) {
                std::lock_guard<std::mutex> lock(failure_mutex);
                if (!failure) failure = std::current_exception();
                next = blocks->size();  // the others stop taking blocks
            }
        }
    }
};

// Helper threads that sleep on a condition variable between regions (no spinning: the cores
// belong to OpenBLAS outside the regions). One region at a time.
class BlockPool {
public:
    static BlockPool& instance() {
        static auto* pool = new BlockPool();  // never joined: the threads sleep until exit
        return *pool;
    }

    void run(Region& region, int helpers) {
        std::unique_lock<std::mutex> serial(region_mutex_);
        grow(helpers);
        const QuietOtherThreads quiet(helper_tids());
        {
            std::lock_guard<std::mutex> lock(mutex_);
            region_ = &region;
            wanted_ = helpers;
            busy_ = helpers;
            ++generation_;
        }
        wake_.notify_all();
        region.drain();
        std::unique_lock<std::mutex> lock(mutex_);
        done_.wait(lock, [&] { return busy_ == 0; });
        region_ = nullptr;
    }

private:
    std::vector<pid_t> helper_tids() {
        std::unique_lock<std::mutex> lock(mutex_);
        started_.wait(lock, [&] { return tids_.size() == threads_; });
        return tids_;
    }

    void grow(int helpers) {
        while (static_cast<int>(threads_) < helpers) {
            const int index = static_cast<int>(threads_++);
            std::thread([this, index] { serve(index); }).detach();
        }
    }

    void serve(int index) {
        {
            std::lock_guard<std::mutex> lock(mutex_);
            tids_.push_back(current_tid());
        }
        started_.notify_all();
        std::uint64_t seen = 0;
        for (;;) {
            Region* region = nullptr;
            {
                std::unique_lock<std::mutex> lock(mutex_);
                wake_.wait(lock, [&] { return generation_ != seen; });
                seen = generation_;
                if (index >= wanted_) continue;
                region = region_;
            }
            {
                const at::ThreadLocalStateGuard tls(*region->state);
                region->drain();
            }
            std::lock_guard<std::mutex> lock(mutex_);
            if (--busy_ == 0) done_.notify_one();
        }
    }

    std::mutex region_mutex_;  // one region at a time
    std::mutex mutex_;
    std::condition_variable wake_, done_, started_;
    std::vector<pid_t> tids_;  // the helpers' kernel thread ids, kept on the cores in a region
    Region* region_ = nullptr;
    std::uint64_t generation_ = 0;
    int wanted_ = 0, busy_ = 0;
    std::size_t threads_ = 0;
};

// Holds OpenBLAS at one thread for a region; each thread of the region then runs its products
// itself.
class SingleThreadedBlas {
public:
    explicit SingleThreadedBlas(int previous) : previous_(previous) { openblas().set_threads(1); }
    ~SingleThreadedBlas() { openblas().set_threads(previous_); }
    SingleThreadedBlas(const SingleThreadedBlas&) = delete;
    SingleThreadedBlas& operator=(const SingleThreadedBlas&) = delete;

private:
    int previous_;
};

}  // namespace

namespace {
std::atomic<int> block_thread_count{0};  // 0: follow OpenBLAS's thread count
}  // namespace

void set_block_threads(int threads) { block_thread_count.store(std::max(0, threads)); }

int block_threads() {
    static const bool disabled = [] {
        const char* env = std::getenv("SM4_BLOCK_THREADS");
        return env != nullptr && std::string(env) == "0";
    }();
    const OpenBlas& blas = openblas();
    if (disabled || blas.threading != OpenBlasThreading::Pthreads) return 1;
    const int set = block_thread_count.load();
    return std::max(1, set > 0 ? set : blas.get_threads());
}

void run_blocks(const std::vector<std::int64_t>& blocks, const std::function<void(std::int64_t)>& work) {
    const int threads = std::min<int>(block_threads(), static_cast<int>(blocks.size()));
    if (threads <= 1) {
        for (const std::int64_t b : blocks) work(b);
        return;
    }
    const at::ThreadLocalState state;
    Region region;
    region.blocks = &blocks;
    region.work = &work;
    region.state = &state;
    {
        const SingleThreadedBlas single(openblas().get_threads());
        BlockPool::instance().run(region, threads - 1);
    }
    if (region.failure) std::rethrow_exception(region.failure);
}

void parallel_ranges(std::int64_t n, std::int64_t grain, const std::function<void(std::int64_t, std::int64_t)>& work) {
    if (n <= 0) return;
    const int threads = block_threads();
    grain = std::max<std::int64_t>(grain, 1);
    if (threads <= 1 || n <= grain) {
        at::parallel_for(0, n, grain, work);
        return;
    }
    // A few ranges per thread: balance without paying a block per grain.
    const std::int64_t ranges = std::min<std::int64_t>((n + grain - 1) / grain, 4 * threads);
    const std::int64_t size = (n + ranges - 1) / ranges;
    std::vector<std::int64_t> blocks;
    for (std::int64_t b = 0; b * size < n; ++b) blocks.push_back(b);
    run_blocks(blocks, [&](std::int64_t b) { work(b * size, std::min(n, (b + 1) * size)); });
}

}  // namespace sm4

#include "platform/cpu_allocator.h"

#include <c10/core/Allocator.h>
#include <c10/core/CPUAllocator.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <map>
#include <mutex>
#include <new>
#include <string>
#include <unordered_map>

namespace sm4 {
namespace {

constexpr std::size_t kAlignment = 64;                 // LibTorch's own CPU alignment
constexpr std::size_t kSmallest = 256 * 1024;          // below this, glibc's heap does well
constexpr std::size_t kHugePage = 2 * 1024 * 1024;
constexpr std::size_t kFineGranule = 64 * 1024;        // rounding below kCoarseFrom
constexpr std::size_t kCoarseFrom = 8 * 1024 * 1024;   // from here, rounded to whole huge pages

std::size_t round_up(std::size_t n, std::size_t to) { return (n + to - 1) / to * to; }

std::int64_t default_limit() {
    if (const char* env = std::getenv("SM4_CPU_CACHE_MB")) {
        char* end = nullptr;
        const long long mb = std::strtoll(env, &end, 10);
        if (end != env && *end == '\0' && mb >= 0) return mb * 1024 * 1024;
    }
    const long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGE_SIZE);
    const std::int64_t physical = pages > 0 && page > 0 ? static_cast<std::int64_t>(pages) * page : 0;
    return std::min<std::int64_t>(physical / 8, std::int64_t{4} << 30);
}

void* system_allocate(std::size_t size) {
    void* p = nullptr;
    const std::size_t alignment = size >= kHugePage ? kHugePage : kAlignment;
    if (posix_memalign(&p, alignment, size) != 0) return nullptr;
    if (size >= kHugePage) madvise(p, size, MADV_HUGEPAGE);  // a hint: ignored where THP is off
    return p;
}

class CachingCpuAllocator final : public c10::Allocator {
public:
    c10::DataPtr allocate(std::size_t n) const override {
        void* p = n < kSmallest ? small(n) : large(n);
        return {p, p, &release, c10::Device(c10::DeviceType::CPU)};
    }
    c10::DeleterFnPtr raw_deleter() const override { return &release; }

    void set_limit(std::int64_t bytes) {
        std::lock_guard<std::mutex> lock(mutex_);
        limit_ = bytes;
        trim(limit_);
    }
    CpuAllocatorStats stats() const {
        std::lock_guard<std::mutex> lock(mutex_);
        return {true, limit_, cached_, hits_, misses_};
    }
    static CachingCpuAllocator& instance() {
        static auto* allocator = new CachingCpuAllocator();  // never destroyed: tensors may outlive main
        return *allocator;
    }

private:
    static void release(void* p) { instance().give_back(p); }

    static void* small(std::size_t n) {
        void* p = nullptr;
        if (posix_memalign(&p, kAlignment, std::max<std::size_t>(n, 1)) != 0) throw std::bad_alloc();
        return p;
    }

    void* large(std::size_t n) const {
        const std::size_t size = round_up(n, n >= kCoarseFrom ? kHugePage : kFineGranule);
        {
            std::lock_guard<std::mutex> lock(mutex_);
            // Only a block of the request's own rounded size: handed to a smaller request, a block
            // would leave the next request of its size to fault in a fresh one.
            const auto it = free_.find(size);
            if (it != free_.end()) {
                void* p = it->second;
                live_.emplace(p, it->first);
                cached_ -= static_cast<std::int64_t>(it->first);
                free_.erase(it);
                ++hits_;
                return p;
            }
            ++misses_;
        }
        void* p = system_allocate(size);
        if (p == nullptr) {  // out of memory: hand the cache back and try once more
            std::lock_guard<std::mutex> lock(mutex_);
            trim(0);
        }
        if (p == nullptr && (p = system_allocate(size)) == nullptr) throw std::bad_alloc();
        std::lock_guard<std::mutex> lock(mutex_);
        live_.emplace(p, size);
        return p;
    }

    void give_back(void* p) const {
        if (p == nullptr) return;
        {
            std::lock_guard<std::mutex> lock(mutex_);
            const auto it = live_.find(p);
            if (it != live_.end()) {
                const std::size_t size = it->second;
                live_.erase(it);
                if (cached_ + static_cast<std::int64_t>(size) <= limit_) {
                    free_.emplace(size, p);
                    cached_ += static_cast<std::int64_t>(size);
                    return;
                }
            }
        }
        std::free(p);
    }

    // Frees cached blocks, largest first, until at most `bytes` stay. Caller holds the mutex.
    void trim(std::int64_t bytes) const {
        while (cached_ > bytes && !free_.empty()) {
            const auto it = std::prev(free_.end());
            cached_ -= static_cast<std::int64_t>(it->first);
            std::free(it->second);
            free_.erase(it);
        }
    }

    mutable std::mutex mutex_;
    mutable std::multimap<std::size_t, void*> free_;       // block size -> block
    mutable std::unordered_map<void*, std::size_t> live_;  // large blocks in use -> size
    mutable std::int64_t cached_ = 0, hits_ = 0, misses_ = 0;
    std::int64_t limit_ = 0;
};

bool g_installed = false;
std::mutex g_install_mutex;

}  // namespace

void install_caching_cpu_allocator() {
    std::lock_guard<std::mutex> lock(g_install_mutex);
    auto& allocator = CachingCpuAllocator::instance();
    allocator.set_limit(default_limit());
    if (g_installed) return;
    c10::SetCPUAllocator(&allocator, /*priority=*/1);
    g_installed = true;
}

CpuAllocatorStats cpu_allocator_stats() {
    std::lock_guard<std::mutex> lock(g_install_mutex);
    if (!g_installed) return {};
    return CachingCpuAllocator::instance().stats();
}

}  // namespace sm4

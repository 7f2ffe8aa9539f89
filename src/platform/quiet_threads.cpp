#include "platform/quiet_threads.h"

#include <dirent.h>
#include <sched.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <string>

namespace sm4 {
namespace {

constexpr int kCapSysNice = 23;

bool has_cap_sys_nice() {
    std::ifstream status("/proc/self/status");
    for (std::string line; std::getline(status, line);) {
        if (line.rfind("CapEff:", 0) != 0) continue;
        const unsigned long long caps = std::strtoull(line.c_str() + 7, nullptr, 16);
        return (caps >> kCapSysNice) & 1ULL;
    }
    return false;
}

// The kernel lets a thread leave SCHED_IDLE only if it could set its nice value (0 here) again.
bool may_restore_policy() {
    if (has_cap_sys_nice()) return true;
    rlimit limit{};
    if (getrlimit(RLIMIT_NICE, &limit) != 0) return false;
    return limit.rlim_cur == RLIM_INFINITY || limit.rlim_cur >= 20;
}

std::vector<pid_t> threads_of_process() {
    std::vector<pid_t> tids;
    DIR* dir = opendir("/proc/self/task");
    if (dir == nullptr) return tids;
    while (const dirent* entry = readdir(dir)) {
        const long tid = std::strtol(entry->d_name, nullptr, 10);
        if (tid > 0) tids.push_back(static_cast<pid_t>(tid));
    }
    closedir(dir);
    return tids;
}

}  // namespace

pid_t current_tid() { return static_cast<pid_t>(syscall(SYS_gettid)); }

bool can_quiet_other_threads() {
    static const bool can = [] {
        const char* env = std::getenv("SM4_QUIET_THREADS");
        if (env != nullptr && std::string(env) == "0") return false;
        return may_restore_policy();
    }();
    return can;
}

QuietOtherThreads::QuietOtherThreads(const std::vector<pid_t>& region) {
    if (!can_quiet_other_threads()) return;
    const pid_t self = current_tid();
    const sched_param none{};
    for (const pid_t tid : threads_of_process()) {
        if (tid == self || std::find(region.begin(), region.end(), tid) != region.end()) continue;
        const int policy = sched_getscheduler(tid);
        if (policy != SCHED_OTHER && policy != SCHED_BATCH) continue;  // real-time or idle already
        if (sched_setscheduler(tid, SCHED_IDLE, &none) == 0) demoted_.push_back({tid, policy});
    }
}

QuietOtherThreads::~QuietOtherThreads() {
    const sched_param none{};
    for (const auto& d : demoted_) sched_setscheduler(d.tid, d.policy, &none);  // ESRCH: it has ended
}

}  // namespace sm4

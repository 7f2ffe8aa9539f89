// Keeps the process's other threads off the cores while a region of block threads runs.
//
// OpenBLAS's pthreads workers do not sleep when a product ends: they spin on sched_yield for
// about 0.1 s (2^28 cycles, OPENBLAS_THREAD_TIMEOUT) waiting for the next one. A region of block
// threads (platform/block_threads.h) puts a thread on every core with OpenBLAS held at one
// thread, so the spinning workers compete with it for the cores: a quarter of the CPU time of an
// MoE step at d_model 64 went to them, and the step time swung by half from run to run as the
// scheduler placed the threads. For the region's length the others are made SCHED_IDLE (they run
// only on a core nothing else wants), then given their policy back.
#pragma once

#include <sys/types.h>

#include <vector>

namespace sm4 {

// Whether this process may give a thread its normal policy back once it was SCHED_IDLE (root,
// CAP_SYS_NICE, or an RLIMIT_NICE of 20 and more); without that nothing is demoted. Also false
// when SM4_QUIET_THREADS=0.
bool can_quiet_other_threads();

// Demotes every thread of the process but `region` (and the calling thread) to SCHED_IDLE for
// its lifetime; the destructor restores each one's policy.
class QuietOtherThreads {
public:
    explicit QuietOtherThreads(const std::vector<pid_t>& region);
    ~QuietOtherThreads();
    QuietOtherThreads(const QuietOtherThreads&) = delete;
    QuietOtherThreads& operator=(const QuietOtherThreads&) = delete;

private:
    struct Demoted {
        pid_t tid;
        int policy;
    };
    std::vector<Demoted> demoted_;
};

// The calling thread's kernel thread id.
pid_t current_tid();

}  // namespace sm4

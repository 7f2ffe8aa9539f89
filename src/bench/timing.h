// Wall-clock timing for `sm4 bench`: warm-up calls, then repeats in which every candidate runs
// once in turn, so a change in machine load (other jobs on shared cores) hits all candidates
// alike and their ratios stay fair even when absolute times do not.
#pragma once

#include <ATen/core/Tensor.h>
#include <c10/core/Device.h>

#include <functional>
#include <string>
#include <vector>

namespace sm4 {

// Median milliseconds per call of each of `calls`, in order. On CUDA the device is synchronised
// around every call, so a time is the work's, not its launch's.
std::vector<double> interleaved_median_ms(const std::vector<std::function<void()>>& calls, int warmup, int repeats,
                                          const at::Device& device);

double median(std::vector<double> values);

// "1.23 0.98 0.75": the 1, 5 and 15 minute load averages of /proc/loadavg ("" where unreadable).
std::string load_average();

// The process's resident set size and its peak (VmRSS, VmHWM of /proc/self/status) in MiB, 0
// where unreadable; reset_peak_rss() restarts the peak at the current size (Linux clear_refs 5).
double resident_mb();
double peak_resident_mb();
void reset_peak_rss();

}  // namespace sm4

#include "bench/timing.h"

#include <torch/cuda.h>

#include <algorithm>
#include <chrono>
#include <fstream>

namespace sm4 {
namespace {

void sync(const at::Device& device) {
    if (device.is_cuda()) torch::cuda::synchronize();
}

}  // namespace

double median(std::vector<double> values) {
    if (values.empty()) return 0.0;
    std::sort(values.begin(), values.end());
    const std::size_t mid = values.size() / 2;
    return values.size() % 2 ? values[mid] : 0.5 * (values[mid - 1] + values[mid]);
}

std::vector<double> interleaved_median_ms(const std::vector<std::function<void()>>& calls, int warmup, int repeats,
                                          const at::Device& device) {
    for (int w = 0; w < warmup; ++w)
        for (const auto& call : calls) call();
    std::vector<std::vector<double>> times(calls.size());
    for (int r = 0; r < std::max(repeats, 1); ++r) {
        for (std::size_t c = 0; c < calls.size(); ++c) {
            sync(device);
            const auto start = std::chrono::steady_clock::now();
            calls[c]();
            sync(device);
            times[c].push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
        }
    }
    std::vector<double> medians;
    for (auto& t : times) medians.push_back(median(t));
    return medians;
}

std::string load_average() {
    std::ifstream in("/proc/loadavg");
    std::string one, five, fifteen;
    if (!(in >> one >> five >> fifteen)) return "";
    return one + " " + five + " " + fifteen;
}

namespace {

double status_field_mb(const std::string& field) {
    std::ifstream in("/proc/self/status");
    for (std::string line; std::getline(in, line);)
        if (line.rfind(field + ":", 0) == 0) return std::stod(line.substr(field.size() + 1)) / 1024.0;  // kB
    return 0.0;
}

}  // namespace

double resident_mb() { return status_field_mb("VmRSS"); }
double peak_resident_mb() { return status_field_mb("VmHWM"); }

void reset_peak_rss() {
    std::ofstream out("/proc/self/clear_refs");
    out << "5";
}

}  // namespace sm4

// A long loop's position, reported to the process's observer (core/events.h) at most ten times a
// second and once when the loop ends; how it is shown (a redrawn line on a terminal, plain lines
// in a log) is the observer's business.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace sm4 {

class Progress {
public:
    // total <= 0 means unknown: no percentage and no ETA.
    Progress(std::string label, std::int64_t total, std::string unit = "it");
    ~Progress();
    Progress(const Progress&) = delete;
    Progress& operator=(const Progress&) = delete;

    void advance(std::int64_t count = 1);
    void set_suffix(std::string suffix);  // extra text such as "loss 0.412"
    void finish();                        // reports the final state

private:
    void report(bool finished);

    std::string label_;
    std::string unit_;
    std::string suffix_;
    std::int64_t total_;
    std::int64_t done_ = 0;
    bool finished_ = false;
    std::chrono::steady_clock::time_point start_;
    std::chrono::steady_clock::time_point last_report_;
};

// "1:02:03" or "2:03"; "--:--" for what is not a duration.
std::string format_duration(double seconds);

// Seconds between plain (piped) progress lines: $SM4_PROGRESS_SECONDS when it is a number >= 0,
// else 30.
double progress_interval_seconds();

}  // namespace sm4

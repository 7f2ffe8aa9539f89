// A one-line progress display with rate and ETA, drawn on stderr only when stderr is a terminal
// (quiet when piped or in CI), redrawn at most ten times a second.
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
    void finish();                        // draws the final state and ends the line

    static bool enabled();                // stderr is a terminal and SM4_NO_PROGRESS is unset

private:
    void draw(bool final_draw);

    std::string label_;
    std::string unit_;
    std::string suffix_;
    std::int64_t total_;
    std::int64_t done_ = 0;
    bool finished_ = false;
    bool enabled_;
    std::chrono::steady_clock::time_point start_;
    std::chrono::steady_clock::time_point last_draw_;
};

// "1:02:03" or "2:03".
std::string format_duration(double seconds);

}  // namespace sm4

#include "core/progress.h"

#include <fmt/format.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>

namespace sm4 {

std::string format_duration(double seconds) {
    if (!(seconds >= 0) || seconds > 1e7) return "--:--";
    const auto s = static_cast<std::int64_t>(seconds + 0.5);
    if (s >= 3600) return fmt::format("{}:{:02}:{:02}", s / 3600, (s / 60) % 60, s % 60);
    return fmt::format("{}:{:02}", s / 60, s % 60);
}

bool Progress::enabled() { return isatty(STDERR_FILENO) && std::getenv("SM4_NO_PROGRESS") == nullptr; }

Progress::Progress(std::string label, std::int64_t total, std::string unit)
    : label_(std::move(label)), unit_(std::move(unit)), total_(total), enabled_(enabled()),
      start_(std::chrono::steady_clock::now()), last_draw_(start_) {}

Progress::~Progress() { finish(); }

void Progress::advance(std::int64_t count) {
    done_ += count;
    const auto now = std::chrono::steady_clock::now();
    if (enabled_ && now - last_draw_ > std::chrono::milliseconds(100)) {
        last_draw_ = now;
        draw(false);
    }
}

void Progress::set_suffix(std::string suffix) { suffix_ = std::move(suffix); }

void Progress::finish() {
    if (finished_) return;
    finished_ = true;
    if (enabled_) draw(true);
}

void Progress::draw(bool final_draw) {
    const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    const double rate = elapsed > 0 ? done_ / elapsed : 0.0;
    std::string line = fmt::format("{} ", label_);
    if (total_ > 0) {
        line += fmt::format("{}/{} {:3.0f}%", done_, total_, 100.0 * done_ / total_);
    } else {
        line += fmt::format("{}", done_);
    }
    line += fmt::format("  {:.1f} {}/s", rate, unit_);
    if (final_draw) {
        line += fmt::format("  {}", format_duration(elapsed));
    } else if (total_ > 0 && rate > 0) {
        line += fmt::format("  ETA {}", format_duration((total_ - done_) / rate));
    }
    if (!suffix_.empty()) line += "  " + suffix_;
    std::fprintf(stderr, "\r\033[K%s%s", line.c_str(), final_draw ? "\n" : "");
    std::fflush(stderr);
}

}  // namespace sm4

#include "core/progress.h"

#include <fmt/format.h>

#include "core/events.h"

#include <cstdlib>

namespace sm4 {

std::string format_duration(double seconds) {
    if (!(seconds >= 0) || seconds > 1e7) return "--:--";
    const auto s = static_cast<std::int64_t>(seconds + 0.5);
    if (s >= 3600) return fmt::format("{}:{:02}:{:02}", s / 3600, (s / 60) % 60, s % 60);
    return fmt::format("{}:{:02}", s / 60, s % 60);
}

Progress::Progress(std::string label, std::int64_t total, std::string unit)
    : label_(std::move(label)), unit_(std::move(unit)), total_(total), start_(std::chrono::steady_clock::now()),
      last_report_(start_) {}

Progress::~Progress() { finish(); }

void Progress::advance(std::int64_t count) {
    done_ += count;
    const auto now = std::chrono::steady_clock::now();
    if (now - last_report_ > std::chrono::milliseconds(100)) {
        last_report_ = now;
        report(false);
    }
}

void Progress::set_suffix(std::string suffix) { suffix_ = std::move(suffix); }

void Progress::finish() {
    if (finished_) return;
    finished_ = true;
    report(true);
}

void Progress::report(bool finished) {
    ProgressEvent event;
    event.label = label_;
    event.unit = unit_;
    event.suffix = suffix_;
    event.done = done_;
    event.total = total_;
    event.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    event.finished = finished;
    events().progress(event);
}

double progress_interval_seconds() {
    const char* text = std::getenv("SM4_PROGRESS_SECONDS");
    if (text == nullptr) return 30.0;
    char* end = nullptr;
    const double value = std::strtod(text, &end);
    return end != text && *end == '\0' && value >= 0 ? value : 30.0;
}

}  // namespace sm4

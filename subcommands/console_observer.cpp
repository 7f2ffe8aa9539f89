#include "console_observer.h"

#include <fmt/format.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>

#include "core/progress.h"
#include "core/text.h"

namespace sm4::cli {
namespace {

std::string progress_line(const ProgressEvent& e) {
    const double rate = e.seconds > 0 ? static_cast<double>(e.done) / e.seconds : 0.0;
    std::string line = e.label + " ";
    line += e.total > 0 ? fmt::format("{}/{} {:3.0f}%", e.done, e.total, 100.0 * e.done / e.total) : std::to_string(e.done);
    line += fmt::format("  {:.1f} {}/s", rate, e.unit);
    if (e.finished) line += "  " + format_duration(e.seconds);
    else if (e.total > 0 && rate > 0) line += "  ETA " + format_duration((e.total - e.done) / rate);
    if (!e.suffix.empty()) line += "  " + e.suffix;
    return line;
}

}  // namespace

ConsoleObserver::ConsoleObserver()
    : terminal_(isatty(STDERR_FILENO) && std::getenv("SM4_NO_PROGRESS") == nullptr) {}

void ConsoleObserver::draw(const std::string& line, bool final_line) {
    if (!terminal_) return;
    std::fprintf(stderr, "\r\033[K%s%s", line.c_str(), final_line ? "\n" : "");
    std::fflush(stderr);
    line_open_ = !final_line;
}

void ConsoleObserver::progress(const ProgressEvent& event) { draw(progress_line(event), event.finished); }

void ConsoleObserver::run_started(const RunStartedEvent&) {}

void ConsoleObserver::step(const StepEvent& event) {
    if (!terminal_) return;
    const std::int64_t epoch_steps = event.total_steps / std::max<std::int64_t>(event.epochs, 1);
    ProgressEvent line;
    line.label = fmt::format("epoch {}/{}", event.epoch, event.epochs);
    line.unit = "steps";
    line.done = epoch_steps > 0 ? event.step - (event.epoch - 1) * epoch_steps : event.step;
    line.total = epoch_steps;
    line.seconds = event.seconds;
    line.suffix = fmt::format("loss {:.4f}", event.loss);
    // The rate over this process's steps: a resumed run's earlier steps took no time here.
    const double rate = event.seconds > 0 ? static_cast<double>(event.steps_done_here) / event.seconds : 0.0;
    std::string text = fmt::format("{} {}/{} {:3.0f}%  {:.1f} steps/s", line.label, line.done, line.total,
                                   line.total > 0 ? 100.0 * line.done / line.total : 0.0, rate);
    if (rate > 0 && line.total > 0) text += "  ETA " + format_duration((line.total - line.done) / rate);
    draw(text + "  " + line.suffix, false);
}

void ConsoleObserver::epoch(const EpochEvent& event) {
    if (line_open_) draw("", true);
    std::string summary;
    for (const auto& [task, score] : event.task_scores) summary += fmt::format("  {} {:.4f}", task, score);
    std::fprintf(stderr, "epoch %lld/%lld: val score %.4f%s%s\n", static_cast<long long>(event.epoch),
                 static_cast<long long>(event.epochs), event.score, summary.c_str(), event.best ? "  (best)" : "");
    std::fflush(stderr);
}

void ConsoleObserver::table(const TableEvent& event) {
    if (line_open_) draw("", true);
    std::string out;
    if (event.topic == "sweep-summary") out += "\n";
    if (!event.heading.empty()) out += event.heading + "\n";
    out += print_table(event.table, TableFormat::Text);
    if (!event.footer.empty()) out += event.footer + "\n";
    fmt::print("{}", out);
    std::fflush(stdout);
}

void ConsoleObserver::sweep_run(const SweepRunEvent& event) {
    fmt::print("[{}/{}] {}: {}\n", event.position + 1, event.count, event.label, event.text);
    std::fflush(stdout);
}

void ConsoleObserver::notice(const NoticeEvent& event) {
    if (line_open_) draw("", true);
    if (event.level == NoticeEvent::Level::Headline) {
        fmt::print("{}\n", event.text);
        std::fflush(stdout);
        return;
    }
    if (event.level == NoticeEvent::Level::Warning) std::fprintf(stderr, "warning: %s\n", event.text.c_str());
    else std::fprintf(stderr, "%s\n", event.text.c_str());
    std::fflush(stderr);
}

}  // namespace sm4::cli

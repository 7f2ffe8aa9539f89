#include "console_observer.h"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <vector>

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

// The rate over this process's steps: a resumed run's earlier steps took no time here.
double step_rate(const StepEvent& e) {
    return e.seconds > 0 ? static_cast<double>(e.steps_done_here) / e.seconds : 0.0;
}

std::string task_losses(const StepEvent& e) {
    std::vector<std::string> parts;
    for (const auto& [task, loss] : e.task_losses) parts.push_back(fmt::format("{} {:.4f}", task, loss));
    return join(parts, ", ");
}

}  // namespace

std::string plain_progress_line(const StepEvent& e, bool with_tasks) {
    const double rate = step_rate(e);
    std::string line = fmt::format("run {}: step {}/{} (epoch {}/{}{}), loss {:.4f}, {:.1f} steps/s", e.run_id, e.step,
                                   e.total_steps, e.epoch, e.epochs, e.stage.empty() ? "" : ", " + e.stage, e.loss, rate);
    if (rate > 0 && e.total_steps > e.step) line += ", ETA " + format_duration((e.total_steps - e.step) / rate);
    if (with_tasks && !e.task_losses.empty()) line += " [" + task_losses(e) + "]";
    return line;
}

ConsoleObserver::ConsoleObserver()
    : terminal_(isatty(STDERR_FILENO) != 0),
      progress_wanted_(std::getenv("SM4_NO_PROGRESS") == nullptr),
      plain_interval_(progress_interval_seconds()) {}

void ConsoleObserver::draw(const std::string& line, bool final_line) {
    if (!terminal_ || !progress_wanted_ || verbosity_ == Verbosity::Quiet) return;
    std::fprintf(stderr, "\r\033[K%s%s", line.c_str(), final_line ? "\n" : "");
    std::fflush(stderr);
    line_open_ = !final_line;
}

void ConsoleObserver::progress(const ProgressEvent& event) { draw(progress_line(event), event.finished); }

void ConsoleObserver::run_started(const RunStartedEvent& event) {
    log_every_ = std::max<std::int64_t>(event.log_every, 1);
    last_plain_step_ = event.step;
    last_plain_seconds_ = 0.0;
    if (verbosity_ == Verbosity::Quiet) return;
    if (line_open_) draw("", true);
    std::string line = event.resumed ? fmt::format("run {} resumed at step {}/{}", event.run_id, event.step, event.total_steps)
                                     : fmt::format("run {} started ({} steps)", event.run_id, event.total_steps);
    line += fmt::format(": folder {}, database {}, {} with {} thread{}", event.run_dir.string(), event.database.string(),
                        event.device, event.threads, event.threads == 1 ? "" : "s");
    if (!event.overrides.empty()) line += "; overrides " + join(event.overrides, " ");
    std::fprintf(stderr, "%s\n", line.c_str());
    std::fflush(stderr);
}

void ConsoleObserver::print_plain_progress(const StepEvent& event) {
    const bool due = event.step - last_plain_step_ >= log_every_ && event.seconds - last_plain_seconds_ >= plain_interval_;
    if (!due) return;
    last_plain_step_ = event.step;
    last_plain_seconds_ = event.seconds;
    std::fprintf(stderr, "%s\n", plain_progress_line(event, verbosity_ == Verbosity::Verbose).c_str());
    std::fflush(stderr);
}

void ConsoleObserver::step(const StepEvent& event) {
    if (!progress_wanted_ || verbosity_ == Verbosity::Quiet) return;
    if (!terminal_) return print_plain_progress(event);
    const std::int64_t epoch_steps = event.epoch_steps, done = event.step_in_epoch;
    const double rate = step_rate(event);
    std::string text = fmt::format("epoch {}/{}{} {}/{} {:3.0f}%  {:.1f} steps/s", event.epoch, event.epochs,
                                   event.stage.empty() ? "" : " (" + event.stage + ")", done, epoch_steps,
                                   epoch_steps > 0 ? 100.0 * done / epoch_steps : 0.0, rate);
    if (rate > 0 && epoch_steps > 0) text += "  ETA " + format_duration((epoch_steps - done) / rate);
    text += fmt::format("  loss {:.4f}", event.loss);
    if (verbosity_ == Verbosity::Verbose && !event.task_losses.empty()) text += "  [" + task_losses(event) + "]";
    draw(text, false);
}

void ConsoleObserver::epoch(const EpochEvent& event) {
    if (line_open_) draw("", true);
    if (verbosity_ == Verbosity::Quiet) return;
    std::string summary;
    for (const auto& [task, score] : event.task_scores) summary += fmt::format("  {} {:.4f}", task, score);
    const std::string stage = event.stage.empty() ? "" : " (" + event.stage + ")";
    std::fprintf(stderr, "epoch %lld/%lld%s: val score %.4f%s%s\n", static_cast<long long>(event.epoch),
                 static_cast<long long>(event.epochs), stage.c_str(), event.score, summary.c_str(),
                 event.best ? "  (best)" : "");
    for (const auto& change : event.changes) std::fprintf(stderr, "  %s\n", change.c_str());
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
    if (event.kind == SweepRunEvent::Kind::Progress && (!progress_wanted_ || verbosity_ == Verbosity::Quiet)) return;
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
    else if (verbosity_ != Verbosity::Quiet) std::fprintf(stderr, "%s\n", event.text.c_str());
    std::fflush(stderr);
}

}  // namespace sm4::cli

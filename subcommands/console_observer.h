// How the command line shows the library's events (core/events.h). On a terminal: a redrawn
// progress line with rate and ETA. Piped or in a log: a plain progress line per run every
// train.log_every steps or every 30 s ($SM4_PROGRESS_SECONDS), whichever is later. Start, epoch
// and notice lines go to stderr, tables and sweep lines to stdout. -q keeps only warnings,
// errors and results; -v adds per-task losses. SM4_NO_PROGRESS=1 turns every progress line off.
#pragma once

#include <cstdint>
#include <string>

#include "core/events.h"

namespace sm4::cli {

enum class Verbosity { Quiet, Normal, Verbose };

class ConsoleObserver : public Observer {
public:
    ConsoleObserver();
    void set_verbosity(Verbosity verbosity) { verbosity_ = verbosity; }
    void progress(const ProgressEvent& event) override;
    void run_started(const RunStartedEvent& event) override;
    void step(const StepEvent& event) override;
    void epoch(const EpochEvent& event) override;
    void table(const TableEvent& event) override;
    void sweep_run(const SweepRunEvent& event) override;
    void notice(const NoticeEvent& event) override;

private:
    void draw(const std::string& line, bool final_line);
    void print_plain_progress(const StepEvent& event);

    bool terminal_;        // stderr is a terminal: progress is a redrawn line
    bool progress_wanted_; // SM4_NO_PROGRESS is not set
    double plain_interval_;  // seconds between plain progress lines
    Verbosity verbosity_ = Verbosity::Normal;
    bool line_open_ = false;
    std::int64_t log_every_ = 10;
    std::int64_t last_plain_step_ = 0;
    double last_plain_seconds_ = 0.0;
};

// The plain progress line: "run 12: step 120/3372 (epoch 1/4), loss 0.6523, 12.3 steps/s,
// ETA 4m 20s" (with_tasks: then " [fashion-mnist 0.61, wine 0.02]"). `sm4 sweep --jobs` reads
// it back from its children's logs.
std::string plain_progress_line(const StepEvent& event, bool with_tasks);

}  // namespace sm4::cli

// How the command line shows the library's events (core/events.h): progress as a redrawn line
// with rate and ETA on a terminal (nothing when stderr is piped or SM4_NO_PROGRESS is set), epoch
// and notice lines on stderr, tables and sweep lines on stdout.
#pragma once

#include <string>

#include "core/events.h"

namespace sm4::cli {

class ConsoleObserver : public Observer {
public:
    ConsoleObserver();
    void progress(const ProgressEvent& event) override;
    void run_started(const RunStartedEvent& event) override;
    void step(const StepEvent& event) override;
    void epoch(const EpochEvent& event) override;
    void table(const TableEvent& event) override;
    void sweep_run(const SweepRunEvent& event) override;
    void notice(const NoticeEvent& event) override;

private:
    void draw(const std::string& line, bool final_line);

    bool terminal_;      // stderr is a terminal and progress lines are wanted
    bool line_open_ = false;
};

}  // namespace sm4::cli

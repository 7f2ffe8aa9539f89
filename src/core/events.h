// What long jobs tell the person (or program) that runs them. The library never prints: it
// reports these events to the process's observer, which the command line implements (the CLI
// prints them; a test records them and asserts on them). With no observer installed, events go
// nowhere.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "core/table.h"

namespace sm4 {

// A long loop's position: "epoch 2/5" at 120 of 300 steps, with a suffix such as "loss 0.41".
struct ProgressEvent {
    std::string label, unit, suffix;
    std::int64_t done = 0, total = 0;  // total <= 0: unknown
    double seconds = 0.0;              // since the loop started
    bool finished = false;             // the loop is over (its line can end)
};

// A training run is about to take its first step (new or resumed).
struct RunStartedEvent {
    std::int64_t run_id = 0;
    std::string name;
    std::filesystem::path run_dir, database;
    std::string device;
    std::int64_t threads = 0;
    std::vector<std::string> overrides;  // "key=value" of every value not from a file or default
    bool resumed = false;
    std::int64_t step = 0, total_steps = 0;
    std::int64_t log_every = 10;  // train.log_every: how often a piped progress line may appear
};

// One optimisation step is done.
struct StepEvent {
    std::int64_t run_id = 0;
    std::int64_t step = 0, total_steps = 0;  // step counts from 1
    std::int64_t epoch = 0, epochs = 0;      // epoch counts from 1
    double loss = 0.0;                       // the step's total objective
    std::vector<std::pair<std::string, double>> task_losses;  // tasks trained this step
    double seconds = 0.0;                    // since this process started training the run
    std::int64_t steps_done_here = 0;        // steps this process trained (a resume starts at 0)
    std::int64_t step_in_epoch = 0, epoch_steps = 0;  // within the epoch (stages may differ in length)
    std::string stage;                       // "pretraining" during train.pretrain_tasks' stage, else ""
};

// An epoch ended and was scored on the validation split.
struct EpochEvent {
    std::int64_t run_id = 0;
    std::int64_t epoch = 0, epochs = 0;
    double score = 0.0;                                        // the selection score
    std::vector<std::pair<std::string, double>> task_scores;  // each task's selection value
    bool best = false;
    std::string stage;                                         // "pretraining", or ""
    std::vector<std::string> changes;                          // AEA's moves and ALP's weights for the next epoch
};

// A result worth showing as it happens: AEA's probe table, a sweep's run list or summary.
struct TableEvent {
    std::string topic;   // "aea-probe", "sweep-dry-run", "sweep-summary", ...
    std::string heading; // one line above the table
    Table table;
    std::string footer;  // one line under it (may be empty)
};

// One run of a sweep started, was skipped, ended, or (a --jobs child) made progress.
struct SweepRunEvent {
    enum class Kind { Started, Resumed, Skipped, Ended, Progress };
    Kind kind = Kind::Started;
    std::size_t position = 0, count = 0;  // in the shard's list, from 0
    std::string label;                    // "full train.lr=0.001 seed 0"
    std::string text;                     // "done in 41 s, run 7, val score 0.9312", ...
    std::filesystem::path log;            // a child's log file (empty in-process)
};

// A line of information ("preparing wine -> datasets/wine.h5"), a warning, or a headline that
// belongs with the command's output ("reproduce minibench: 42 runs of ...").
struct NoticeEvent {
    enum class Level { Info, Warning, Headline };
    Level level = Level::Info;
    std::string text;
};

class Observer {
public:
    virtual ~Observer() = default;
    virtual void progress(const ProgressEvent&) {}
    virtual void run_started(const RunStartedEvent&) {}
    virtual void step(const StepEvent&) {}
    virtual void epoch(const EpochEvent&) {}
    virtual void table(const TableEvent&) {}
    virtual void sweep_run(const SweepRunEvent&) {}
    virtual void notice(const NoticeEvent&) {}
};

// The process's observer (a silent one until a scope installs another).
Observer& events();

// Installs `observer` for the scope's lifetime, then restores the previous one.
class ObserverScope {
public:
    explicit ObserverScope(Observer& observer);
    ~ObserverScope();
    ObserverScope(const ObserverScope&) = delete;
    ObserverScope& operator=(const ObserverScope&) = delete;

private:
    Observer* previous_;
};

void notify(const std::string& text);  // events().notice at Info level
void headline(const std::string& text);  // events().notice at Headline level
void warn(const std::string& text);    // events().notice at Warning level

}  // namespace sm4

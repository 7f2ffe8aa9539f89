#include "app/sweep_runner.h"

#include <fmt/format.h>
#include <signal.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <map>
#include <thread>

#include "core/errors.h"
#include "core/events.h"
#include "core/interrupt.h"
#include "core/text.h"
#include "io/results_db.h"
#include "sweep/child_process.h"
#include "sweep/sweep_report.h"
#include "sweep/sweep_state.h"

namespace sm4 {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

// One run of the shard that still has to train.
struct Job {
    std::size_t position = 0;  // in the shard's list, from 0
    const SweepRun* run = nullptr;
    PriorRun prior;
};

struct Sweep {
    SweepPlan plan;
    std::vector<const SweepRun*> runs;     // the shard's
    std::vector<PriorRun> prior;           // what the database held when the sweep started
    std::vector<SweepOutcome> outcomes;    // one per run of the shard
};

TrainRequest train_request(const SweepPlan& plan, const SweepRun& run, const PriorRun& prior) {
    TrainRequest request;
    request.config = run.config;
    request.experiment = plan.file.string();
    if (prior.state == PriorState::Resume) request.resume_run = prior.run_id;
    request.sweep = plan.name;
    request.variant = run.variant;
    request.config_hash = run.config_hash;
    return request;
}

void report_run(const Sweep& sweep, SweepRunEvent::Kind kind, std::size_t position, const std::string& text,
                const std::filesystem::path& log = {}) {
    events().sweep_run({kind, position, sweep.runs.size(), sweep.runs[position]->label(), text, log});
}

void report_start(const Sweep& sweep, const Job& job, const std::filesystem::path& log = {}) {
    if (job.prior.state == PriorState::Resume)
        report_run(sweep, SweepRunEvent::Kind::Resumed, job.position, fmt::format("resuming run {}", job.prior.run_id), log);
    else
        report_run(sweep, SweepRunEvent::Kind::Started, job.position, "started", log);
}

void report_end(const Sweep& sweep, std::size_t position) {
    report_run(sweep, SweepRunEvent::Kind::Ended, position, describe_outcome(sweep.outcomes[position]));
}

// How a run ended, from its exit code (0, 130 interrupted, other: failed) and what the database
// recorded: its id, best validation score and, when it failed, its message.
SweepOutcome outcome_of(const SweepRun& run, int exit_code, double seconds, const std::string& error) {
    SweepOutcome outcome;
    outcome.seconds = seconds;
    const auto recorded = recorded_run(run.config.values.output.database, run.config_hash);
    if (recorded) {
        outcome.run_id = recorded->run_id;
        outcome.val_score = recorded->val_score;
    }
    if (exit_code == 0 && recorded && recorded->status == kRunCompleted) {
        outcome.status = SweepStatus::Completed;
    } else if (exit_code == 130 || (recorded && recorded->status == kRunInterrupted)) {
        outcome.status = SweepStatus::Interrupted;
    } else {
        outcome.status = SweepStatus::Failed;
        outcome.message = !error.empty() ? error : fmt::format("exit status {}", exit_code);
    }
    return outcome;
}

void run_in_process(Sweep& sweep, const Job& job) {
    report_start(sweep, job);
    const auto start = Clock::now();
    int exit_code = 0;
    std::string error;
    try {
        train_model(train_request(sweep.plan, *job.run, job.prior));
    } catch (const Error& e) {
        exit_code = e.exit_code();
        error = e.what();
    } catch (const std::exception& e) {
        exit_code = 1;
        error = e.what();
    }
    sweep.outcomes[job.position] = outcome_of(*job.run, exit_code, seconds_since(start), error);
    report_end(sweep, job.position);
}

void run_one_at_a_time(Sweep& sweep, const std::vector<Job>& jobs) {
    for (const Job& job : jobs) {
        if (interrupt_requested()) return;
        run_in_process(sweep, job);
    }
}

// The child's command line: this sweep's file and --set, its run, and its share of the cores.
std::vector<std::string> child_arguments(const SweepRequest& request, const Job& job) {
    std::vector<std::string> argv{"sm4", "sweep", request.file.string(), "--run-one", std::to_string(job.run->index),
                                  "--expect-hash", job.run->config_hash};
    if (job.prior.state == PriorState::Resume) argv.insert(argv.end(), {"--resume-run", std::to_string(job.prior.run_id)});
    for (const auto& base : request.bases) argv.insert(argv.end(), {"--base", base.string()});
    for (const auto& assignment : request.overrides) argv.insert(argv.end(), {"--set", assignment});
    for (const auto seed : request.seeds) argv.insert(argv.end(), {"--seeds", std::to_string(seed)});
    if (job.run->config.values.train.threads == 0) {
        const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
        argv.insert(argv.end(), {"--set", fmt::format("train.threads={}", std::max(1, cores / request.jobs))});
    }
    return argv;
}

// A child's stdout and stderr: <output.runs_dir>/sweep-logs/<config hash>.log, appended to.
std::filesystem::path child_log(const SweepRun& run) {
    return std::filesystem::path(run.config.values.output.runs_dir) / "sweep-logs" / (run.config_hash + ".log");
}

// The error a failed child printed last in its log, without main's "sm4: error: ".
std::string child_error(const SweepRun& run) {
    const std::string prefix = "sm4: error: ", line = last_line(child_log(run));
    return line.rfind(prefix, 0) == 0 ? line.substr(prefix.size()) : line;
}

// Up to request.jobs children at once. The first Ctrl-C stops new starts and is passed on once to
// each running child, which checkpoints and exits 130.
void run_in_children(Sweep& sweep, const SweepRequest& request, const std::vector<Job>& jobs) {
    struct Running {
        const Job* job;
        Clock::time_point start;
    };
    std::map<pid_t, Running> running;
    std::size_t next = 0;
    bool passed_on = false;
    while ((next < jobs.size() && !interrupt_requested()) || !running.empty()) {
        if (interrupt_requested() && !passed_on) {
            for (const auto& [pid, child] : running) kill(pid, SIGINT);
            passed_on = true;
        }
        if (!interrupt_requested() && next < jobs.size() && running.size() < static_cast<std::size_t>(request.jobs)) {
            const Job& job = jobs[next++];
            report_start(sweep, job, child_log(*job.run));
            const pid_t pid = start_child(kOwnExecutable, child_arguments(request, job), child_log(*job.run));
            running[pid] = {&job, Clock::now()};
            continue;
        }
        const auto ended = ended_child();
        if (!ended) {
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
            continue;
        }
        const auto child = running.find(ended->pid);
        if (child == running.end()) continue;
        const Job& job = *child->second.job;
        const std::string error = ended->exit_code == 0 ? "" : child_error(*job.run);
        sweep.outcomes[job.position] = outcome_of(*job.run, ended->exit_code, seconds_since(child->second.start), error);
        report_end(sweep, job.position);
        running.erase(child);
    }
}

// Opens (creating and migrating) each database the runs write to before any child does.
void prepare_databases(const std::vector<Job>& jobs) {
    for (const Job& job : jobs) ResultsDb{job.run->config.values.output.database};
}

// Throws what the sweep's end means: interrupted (exit 130) or failed runs (exit 1).
void throw_unless_all_done(const Sweep& sweep) {
    std::vector<std::string> failed, stopped;
    for (std::size_t i = 0; i < sweep.runs.size(); ++i) {
        const SweepStatus status = sweep.outcomes[i].status;
        if (status == SweepStatus::Failed) failed.push_back(std::to_string(sweep.runs[i]->index));
        if (status == SweepStatus::Interrupted || status == SweepStatus::NotRun)
            stopped.push_back(std::to_string(sweep.runs[i]->index));
    }
    if (interrupt_requested() || !stopped.empty())
        throw InterruptedError(fmt::format("sweep {} interrupted with {} of its runs unfinished; the same command "
                                           "resumes them", sweep.plan.name, stopped.size()));
    if (!failed.empty())
        throw TrainingError(fmt::format("sweep {}: {} of {} runs failed (# {}); see the table above", sweep.plan.name,
                                        failed.size(), sweep.runs.size(), join(failed, ", ")));
}

}  // namespace

void run_sweep(const SweepRequest& request) {
    if (request.jobs < 1) throw UsageError(fmt::format("a sweep runs at least 1 training at once, not {}", request.jobs));
    Sweep sweep{make_sweep_plan(request.file, request.overrides, request.bases, request.seeds), {}, {}, {}};
    sweep.runs = shard_runs(sweep.plan, request.shard);
    for (const SweepRun* run : sweep.runs)
        sweep.prior.push_back(find_prior_run(run->config.values.output.database, run->config_hash));
    if (request.dry_run) {
        events().table({"sweep-dry-run", "", dry_run_table(sweep.plan, sweep.runs, sweep.prior),
                        dry_run_summary(sweep.plan, sweep.runs, sweep.prior)});
        return;
    }
    sweep.outcomes.resize(sweep.runs.size());
    std::vector<Job> jobs;
    for (std::size_t i = 0; i < sweep.runs.size(); ++i) {
        if (sweep.prior[i].state == PriorState::Done) {
            sweep.outcomes[i] = outcome_of(*sweep.runs[i], 0, 0.0, "");
            sweep.outcomes[i].status = SweepStatus::Skipped;
            report_run(sweep, SweepRunEvent::Kind::Skipped, i, describe_outcome(sweep.outcomes[i]));
        } else {
            jobs.push_back({i, sweep.runs[i], sweep.prior[i]});
        }
    }
    if (request.jobs == 1) {
        run_one_at_a_time(sweep, jobs);
    } else {
        prepare_databases(jobs);
        run_in_children(sweep, request, jobs);
    }
    events().table({"sweep-summary", "", sweep_summary_table(sweep.plan, sweep.runs, sweep.outcomes),
                    sweep_summary_line(sweep.plan, sweep.outcomes)});
    throw_unless_all_done(sweep);
}

TrainResult run_sweep_child(const SweepRequest& request, std::size_t index, const std::string& config_hash,
                            std::optional<std::int64_t> resume_run) {
    const SweepPlan plan = make_sweep_plan(request.file, request.overrides, request.bases, request.seeds);
    if (index >= plan.runs.size() || plan.runs[index].config_hash != config_hash)
        throw UsageError(fmt::format("{}: run {} of the sweep no longer has config hash {}: the file changed since "
                                     "the sweep started; start the sweep again",
                                     request.file.string(), index, config_hash));
    PriorRun prior;
    if (resume_run) prior = {PriorState::Resume, *resume_run};
    return train_model(train_request(plan, plan.runs[index], prior));
}

}  // namespace sm4

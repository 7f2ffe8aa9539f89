#include "app/sweep_runner.h"

#include <fmt/format.h>
#include <signal.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <thread>

#include "core/errors.h"
#include "core/events.h"
#include "core/interrupt.h"
#include "core/progress.h"
#include "core/text.h"
#include "io/results_db.h"
#include "io/stored_config.h"
#include "sweep/child_log.h"
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

// The run folder of the run a job resumes (its log is named after it); empty for a new run.
std::filesystem::path resumed_folder(const Job& job) {
    if (job.prior.state != PriorState::Resume) return {};
    const ResultsDb db(job.run->config.values.output.database);
    const auto run = db.find_run(job.prior.run_id);
    return run ? run_folder(*run) : std::filesystem::path();
}

// The error a failed child printed last in its log, without main's "sm4: error: ".
std::string child_error(const std::filesystem::path& log) {
    const std::string prefix = "sm4: error: ", line = last_line(log);
    return line.rfind(prefix, 0) == 0 ? line.substr(prefix.size()) : line;
}

// Up to request.jobs children at once. The first Ctrl-C stops new starts and is passed on once to
// each running child, which checkpoints and exits 130. Each child's latest progress line is shown
// at most every 30 s ($SM4_PROGRESS_SECONDS).
void run_in_children(Sweep& sweep, const SweepRequest& request, const std::vector<Job>& jobs) {
    struct Running {
        const Job* job;
        Clock::time_point start;
        ChildLog log;
        Clock::time_point shown;  // when its progress was last shown
        std::string last_progress;
    };
    const double interval = progress_interval_seconds();
    std::map<pid_t, Running> running;
    std::size_t next = 0;
    bool passed_on = false;
    auto last_poll = Clock::now();
    while ((next < jobs.size() && !interrupt_requested()) || !running.empty()) {
        if (interrupt_requested() && !passed_on) {
            for (const auto& [pid, child] : running) kill(pid, SIGINT);
            passed_on = true;
        }
        if (!interrupt_requested() && next < jobs.size() && running.size() < static_cast<std::size_t>(request.jobs)) {
            const Job& job = jobs[next++];
            ChildLog log(*job.run, resumed_folder(job));
            report_start(sweep, job, log.path());
            const pid_t pid = start_child(kOwnExecutable, child_arguments(request, job), log.path());
            running.emplace(pid, Running{&job, Clock::now(), log, Clock::now(), ""});
            continue;
        }
        if (seconds_since(last_poll) >= 1.0) {
            last_poll = Clock::now();
            for (auto& [pid, child] : running) {
                const auto progress = child.log.poll();
                if (!progress || *progress == child.last_progress || seconds_since(child.shown) < interval) continue;
                child.last_progress = *progress;
                child.shown = Clock::now();
                report_run(sweep, SweepRunEvent::Kind::Progress, child.job->position, *progress, child.log.path());
            }
        }
        const auto ended = ended_child();
        if (!ended) {
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
            continue;
        }
        const auto child = running.find(ended->pid);
        if (child == running.end()) continue;
        child->second.log.poll();  // a short run's log gets its name too
        const Job& job = *child->second.job;
        const std::string error = ended->exit_code == 0 ? "" : child_error(child->second.log.path());
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

// A run done by another sweep (or under another variant name) that this sweep takes as its own:
// recorded so `sm4 report --sweep` finds it under this sweep's variant name.
void record_reuse(const std::string& sweep, const SweepRun& run, std::int64_t run_id) {
    ResultsDb db(run.config.values.output.database);
    const auto found = db.find_run(run_id);
    if (found && (found->sweep != sweep || found->variant != run.variant)) db.add_sweep_reuse({sweep, run.variant, run_id});
}

}  // namespace

SweepPreview preview_sweep(const SweepRequest& request) {
    SweepPreview preview;
    preview.plan = make_sweep_plan(request.file, request.overrides, request.bases, request.seeds);
    preview.runs = shard_runs(preview.plan, request.shard);
    if (!request.variants.empty()) {
        std::vector<std::string> defined;
        for (const auto& run : preview.plan.runs)
            if (std::find(defined.begin(), defined.end(), run.variant) == defined.end()) defined.push_back(run.variant);
        for (const auto& wanted : request.variants)
            if (std::find(defined.begin(), defined.end(), wanted) == defined.end())
                throw UsageError(fmt::format("--variant {}: {} defines no such variant{}; it has {}", wanted,
                                             request.file.string(), did_you_mean(wanted, defined), join(defined, ", ")));
        const auto unwanted = [&](const SweepRun* run) {
            return std::find(request.variants.begin(), request.variants.end(), run->variant) == request.variants.end();
        };
        preview.runs.erase(std::remove_if(preview.runs.begin(), preview.runs.end(), unwanted), preview.runs.end());
    }
    for (const SweepRun* run : preview.runs)
        preview.prior.push_back(find_prior_run(run->config.values.output.database, run->config_hash));
    return preview;
}

Json preview_json(const SweepPreview& preview) {
    Json notes = Json::array();
    for (const auto& note : preview.plan.notes) notes.push(note);
    Json runs = Json::array();
    for (std::size_t i = 0; i < preview.runs.size(); ++i) {
        const SweepRun& run = *preview.runs[i];
        const PriorRun& prior = preview.prior[i];
        Json grid = Json::object();
        for (std::size_t a = 0; a < preview.plan.axes.size(); ++a)
            grid.set(preview.plan.axes[a], run.grid[a].substr(preview.plan.axes[a].size() + 1));
        const char* state = prior.state == PriorState::Done ? "done" : prior.state == PriorState::Resume ? "resume" : "new";
        runs.push(Json::object()
                      .set("index", run.index)
                      .set("variant", run.variant)
                      .set("task", run.task.empty() ? Json() : Json(run.task))
                      .set("grid", grid)
                      .set("seed", run.seed)
                      .set("config_hash", run.config_hash)
                      .set("database", run.config.values.output.database)
                      .set("state", state)
                      .set("run_id", prior.state == PriorState::New ? Json() : Json(prior.run_id)));
    }
    return Json::object()
        .set("sweep", preview.plan.name)
        .set("file", preview.plan.file.string())
        .set("runs_in_file", preview.plan.runs.size())
        .set("selected", preview.runs.size())
        .set("notes", notes)
        .set("runs", runs);
}

void run_sweep(const SweepRequest& request) {
    if (request.jobs < 1) throw UsageError(fmt::format("a sweep runs at least 1 training at once, not {}", request.jobs));
    SweepPreview preview = preview_sweep(request);
    // Moving the vectors keeps the runs where they are, so the pointers stay valid.
    Sweep sweep{std::move(preview.plan), std::move(preview.runs), std::move(preview.prior), {}};
    for (const auto& note : sweep.plan.notes) notify(fmt::format("sweep {}: {}", sweep.plan.name, note));
    if (request.dry_run) {
        events().table({"sweep-dry-run", "", dry_run_table(sweep.plan, sweep.runs, sweep.prior),
                        dry_run_summary(sweep.plan, sweep.runs, sweep.prior)});
        return;
    }
    sweep.outcomes.resize(sweep.runs.size());
    std::vector<Job> jobs;
    for (std::size_t i = 0; i < sweep.runs.size(); ++i) {
        if (sweep.prior[i].state == PriorState::Done) {
            record_reuse(sweep.plan.name, *sweep.runs[i], sweep.prior[i].run_id);
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

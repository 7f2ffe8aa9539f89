#include "train/trainer.h"

#include <ATen/ATen.h>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <fstream>
#include <limits>

#include "core/config_hash.h"
#include "core/errors.h"
#include "core/events.h"
#include "core/interrupt.h"
#include "core/launch_env.h"
#include "core/random.h"
#include "core/text.h"
#include "io/results_db.h"
#include "io/run_folder.h"
#include "io/run_summary.h"
#include "io/stored_config.h"
#include "model/flops/flop_count.h"
#include "platform/build_info.h"
#include "platform/device.h"
#include "platform/process_group.h"
#include "platform/threads.h"
#include "train/checkpoint.h"
#include "train/loss_weighting.h"
#include "train/losses.h"
#include "train/epoch_policies.h"
#include "train/pcgrad.h"
#include "train/run_trace.h"
#include "train/schedule.h"
#include "train/training_stages.h"
#include "train/fused_adam.h"

namespace sm4 {
namespace {

using Clock = std::chrono::steady_clock;

std::string host_name() {
    char name[256] = {};
    gethostname(name, sizeof name - 1);
    return name;
}

std::vector<double> task_weights(const Config& c) {
    return c.train.task_weights.empty() ? std::vector<double>(c.data.tasks.size(), 1.0) : c.train.task_weights;
}

std::vector<MetricRecord> evaluation_records(std::int64_t run, std::int64_t step, std::int64_t epoch, Split split,
                                             const std::vector<TaskEvaluation>& evals) {
    std::vector<MetricRecord> rows;
    for (const auto& e : evals) {
        rows.push_back({run, step, epoch, to_string(split), e.task, "loss", e.loss, "train"});
        for (const auto& m : e.metrics)
            rows.push_back({run, step, epoch, to_string(split), e.task, m.name, m.value, "train"});
    }
    return rows;
}

// The values of a config that neither a default nor the experiment's files set ("key=value"),
// for the start line.
std::vector<std::string> overrides_in_effect(const ResolvedConfig& config, const std::string& experiment) {
    const std::vector<std::string> files = split(experiment, ' ');
    std::vector<std::string> out;
    for (const auto& field : config_fields()) {
        const std::string& source = config.sources.at(field.key);
        if (source == "default") continue;
        const bool from_file = std::any_of(files.begin(), files.end(), [&](const std::string& file) {
            return !file.empty() && source.rfind(file + ":", 0) == 0;
        });
        if (!from_file) out.push_back(field.key + "=" + format_config_value(field.get(config.values)));
    }
    return out;
}

// Everything the loop touches, so the loop body reads as the algorithm.
struct Session {
    LaunchEnv launch;                           // this process's place in a data-parallel group
    std::unique_ptr<ProcessGroup> group;        // null for one process
    bool stop_agreed = false;                   // a rank was interrupted: every rank stops
    Config config;
    std::string config_toml;
    at::Device device{at::kCPU};
    ThreadSettings threads;
    std::vector<TaskData> tasks;
    std::vector<double> weights;
    MultitaskModel model{nullptr};
    std::unique_ptr<torch::optim::Optimizer> optimizer;
    std::shared_ptr<LossWeightingImpl> weighting;
    std::unique_ptr<EpochPolicies> policies;    // AEA and ALP (Algorithms 3 and 4)
    std::shared_ptr<torch::nn::Module> extras;  // loss weighting, AEA's and ALP's state: saved in checkpoints
    std::unique_ptr<TrainingStages> stages;     // pretraining, then every task
    std::unique_ptr<ResultsDb> db;
    std::int64_t run_id = 0;
    std::filesystem::path run_dir;
    std::unique_ptr<RunTrace> trace;
    TrainingState state;
    Clock::time_point start = Clock::now();
    std::int64_t steps_done_here = 0;
    std::int64_t agreement_checks = 0;  // epochs at which the ranks were checked to agree

    // Rank 0 (or the only process) writes the database, the trace and the checkpoints.
    bool writes() const { return !group || group->rank() == 0; }
    int world() const { return group ? group->world_size() : 1; }
    std::filesystem::path checkpoint_path() const { return run_dir / "checkpoint.pt"; }
    std::filesystem::path best_path() const { return run_dir / "best.pt"; }
    std::int64_t total_steps() const { return stages->total_steps(); }
    std::int64_t total_epochs() const { return stages->total_epochs(); }
};

// What every run needs before its model: threads, device and data, once.
void prepare_runtime(Session& s, const Config& config) {
    s.threads = configure_cpu_runtime(threads_per_rank(config.train.threads, s.launch));
    s.device = compute_device(config.train.device, s.launch.local_rank);
    s.tasks = load_tasks(config);
}

// The model's parameters and buffers and the loss weighting's and pace's state: what rank 0
// broadcasts so that every rank starts from the same values.
std::vector<at::Tensor> replicated_state(Session& s) {
    std::vector<at::Tensor> state;
    for (const auto* module : {static_cast<torch::nn::Module*>(s.model.ptr().get()), s.extras.get()}) {
        for (const auto& p : module->parameters()) state.push_back(p.data());
        for (const auto& b : module->buffers()) state.push_back(b);
    }
    return state;
}

// The model, its optimiser, loss weighting, AEA and ALP, on the prepared runtime.
void build(Session& s) {
    at::manual_seed(static_cast<std::uint64_t>(s.config.train.seed));
    s.weights = task_weights(s.config);
    std::vector<TaskSpec> specs;
    for (const auto& t : s.tasks) specs.push_back(t.spec);
    s.model = MultitaskModel(s.config.model, specs);
    s.model->to(s.device);
    s.weighting = make_loss_weighting(s.config.train, s.tasks.size(), s.model->last_shared_layer_parameters());
    s.weighting->to(s.device);
    s.policies = std::make_unique<EpochPolicies>(s.config, s.model, s.tasks);
    s.policies->apply(s.model);
    s.extras = std::make_shared<torch::nn::Module>();
    s.extras->register_module("loss_weighting", s.weighting);
    s.extras->register_module("aea", s.policies->allocation.ptr());
    s.extras->register_module("pace", s.policies->pace.ptr());
    s.stages = std::make_unique<TrainingStages>(s.config, s.tasks, s.group ? s.group->rank() : 0, s.world());

    // Param groups: the model, then the loss weighting's own parameters (no weight decay).
    // adam: HighMMT's torch.optim.Adam (weight decay added to the gradient); adamw: decoupled.
    const bool adam = s.config.train.optimizer == Optimizer::Adam;
    const double lr = s.config.train.lr;
    auto options = [&](double decay) -> std::unique_ptr<torch::optim::OptimizerOptions> {
        if (adam) return std::make_unique<torch::optim::AdamOptions>(torch::optim::AdamOptions(lr).weight_decay(decay));
        return std::make_unique<torch::optim::AdamWOptions>(torch::optim::AdamWOptions(lr).weight_decay(decay));
    };
    std::vector<torch::optim::OptimizerParamGroup> groups;
    groups.emplace_back(s.model->parameters(), options(s.config.train.weight_decay));
    if (!s.weighting->parameters().empty()) groups.emplace_back(s.weighting->parameters(), options(0.0));
    if (adam) s.optimizer = std::make_unique<FusedAdam>(std::move(groups), torch::optim::AdamOptions(lr));
    else s.optimizer = std::make_unique<FusedAdamW>(std::move(groups), torch::optim::AdamWOptions(lr));
    if (s.writes()) s.db = std::make_unique<ResultsDb>(s.config.output.database);
    s.state.batch_counters.assign(s.tasks.size(), 0);
    if (s.group) {
        s.group->broadcast(replicated_state(s));
        ProcessGroup* group = s.group.get();
        s.model->set_replica_group({[group](const std::vector<at::Tensor>& t) { group->all_reduce_sum(t); }, s.world()});
    }
}

void set_learning_rates(Session& s, double lr) {
    for (auto& group : s.optimizer->param_groups()) group.options().set_lr(lr);
}

// best.pt is written before AEA changes the model's k (so it holds the k its weights were trained
// with), checkpoint.pt after (it resumes into the next epoch).
void save_best_model(Session& s) {
    if (s.writes()) save_checkpoint(s.best_path(), s.model, nullptr, nullptr, s.state, s.config_toml);
}

void save_epoch_checkpoint(Session& s, double score, bool best) {
    if (!s.writes()) return;
    save_checkpoint(s.checkpoint_path(), s.model, s.optimizer.get(), s.extras.get(), s.state, s.config_toml);
    s.db->add_checkpoint({s.run_id, s.state.epoch, s.state.global_step, s.checkpoint_path().string(), score, best, ""});
}

void reduce_routing_statistics(Session& s);

[[noreturn]] void stop_interrupted(Session& s) {
    const std::string ranks =
        s.world() > 1 ? fmt::format(", launched as {} ranks again (e.g. with --nproc {})", s.world(), s.world()) : "";
    const std::string message = fmt::format("interrupted at step {} (epoch {}); resume with `sm4 train --resume {}{}`{}",
                                            s.state.global_step, s.state.epoch + 1, s.run_id,
                                            database_flag(s.config.output.database), ranks);
    // The window's routing sums of every rank, so rank 0's checkpoint holds the group's.
    if (s.group) reduce_routing_statistics(s);
    if (!s.writes())
        throw InterruptedError(fmt::format("rank {} stopped with the group at step {} (rank 0 saved the checkpoint)",
                                           s.group->rank(), s.state.global_step));
    s.state.window = s.trace->window_state();
    save_checkpoint(s.checkpoint_path(), s.model, s.optimizer.get(), s.extras.get(), s.state, s.config_toml);
    s.state.window.clear();
    s.trace->flush();
    // Recorded with the last validated epoch's score (-inf before the first).
    const auto earlier = s.db->checkpoints(s.run_id);
    const double score = earlier.empty() ? -std::numeric_limits<double>::infinity() : earlier.back().val_score;
    s.db->add_checkpoint({s.run_id, s.state.epoch, s.state.global_step, s.checkpoint_path().string(), score, false, ""});
    s.db->set_status(s.run_id, kRunInterrupted, message);
    throw InterruptedError(message);
}

[[noreturn]] void stop_diverged(Session& s, const std::string& task, double loss) {
    s.trace->flush();
    const std::string message = fmt::format(
        "the loss of task {} became {} at step {} (epoch {}); the run is marked failed and its last good "
        "checkpoint is {}",
        task, loss, s.state.global_step + 1, s.state.epoch + 1,
        std::filesystem::exists(s.checkpoint_path()) ? s.checkpoint_path().string() : "none (no epoch finished)");
    if (s.db) s.db->set_status(s.run_id, kRunFailed, message);
    throw TrainingError(message);
}

// Routing statistics summed over the ranks, so the entropy ALP reads is the same on every rank.
void reduce_routing_statistics(Session& s) {
    std::vector<at::Tensor> sums;
    for (auto* stats : s.model->routing_statistics()) {
        sums.push_back(stats->entropy_sum);
        sums.push_back(stats->token_count);
        sums.push_back(stats->load);
    }
    s.group->all_reduce_sum(sums);
}

// Writes the window's trace row (with the routing sums of every rank).
void log_window(Session& s) {
    if (s.group) reduce_routing_statistics(s);
    s.trace->log(s.state.global_step, s.state.epoch);
}

// Data-parallel: every rank's gradients summed and divided by the world size, bucketed. A
// gradient that no rank computed stays undefined (the optimiser skips it, as one process would);
// one that only some ranks computed counts as zero on the others.
void average_gradients(ProcessGroup& group, std::vector<at::Tensor>& gradients, const std::vector<at::Tensor>& parameters) {
    at::Tensor defined = at::zeros({static_cast<std::int64_t>(gradients.size())}, at::kFloat);
    auto flag = defined.accessor<float, 1>();
    for (std::size_t i = 0; i < gradients.size(); ++i) flag[static_cast<std::int64_t>(i)] = gradients[i].defined() ? 1.0f : 0.0f;
    group.all_reduce_sum({defined});
    std::vector<at::Tensor> present;
    for (std::size_t i = 0; i < gradients.size(); ++i) {
        if (flag[static_cast<std::int64_t>(i)] == 0.0f) continue;
        if (!gradients[i].defined()) gradients[i] = at::zeros_like(parameters[i]);
        present.push_back(gradients[i]);
    }
    group.all_reduce_mean(present);
}

std::vector<at::Tensor> trained_parameters(const Session& s) {
    std::vector<at::Tensor> parameters;
    for (const auto& group : s.optimizer->param_groups())
        for (const auto& p : group.params()) parameters.push_back(p);
    return parameters;
}

void average_parameter_gradients(Session& s) {
    auto parameters = trained_parameters(s);
    std::vector<at::Tensor> gradients;
    for (const auto& p : parameters) gradients.push_back(p.grad());
    average_gradients(*s.group, gradients, parameters);
    for (std::size_t i = 0; i < parameters.size(); ++i)
        if (gradients[i].defined() && !parameters[i].grad().defined()) parameters[i].mutable_grad() = gradients[i];
}

// Data-parallel: the step's task losses and total averaged over the ranks (every rank drew the
// same tasks), and whether any rank was interrupted, so all ranks log, pace and stop alike.
double agree_on_step(Session& s, std::vector<double>& task_losses, const std::vector<std::size_t>& drawn, double total) {
    const std::size_t tasks = task_losses.size();
    at::Tensor values = at::zeros({static_cast<std::int64_t>(tasks + 2)}, at::kDouble);
    auto v = values.accessor<double, 1>();
    for (std::size_t t : drawn) v[static_cast<std::int64_t>(t)] = task_losses[t];
    v[static_cast<std::int64_t>(tasks)] = total;
    v[static_cast<std::int64_t>(tasks + 1)] = interrupt_requested() ? 1.0 : 0.0;
    s.group->all_reduce_sum({values});
    const double ranks = static_cast<double>(s.world());
    for (std::size_t t : drawn) task_losses[t] = v[static_cast<std::int64_t>(t)] / ranks;
    s.stop_agreed = v[static_cast<std::int64_t>(tasks + 1)] > 0;
    return v[static_cast<std::int64_t>(tasks)] / ranks;
}

// The weighted task losses plus the balance losses, back-propagated as one sum; returns the sum.
at::Tensor summed_backward(Session& s, const std::vector<at::Tensor>& losses, const std::vector<at::Tensor>& aux) {
    at::Tensor total = s.weighting->combine(losses);
    for (const auto& a : aux)
        if (a.defined()) total = total + a;
    total.backward();
    return total;
}

// PCGrad: each task's objective (weighted loss + its balance losses) back-propagated on its own,
// the gradients projected and summed into .grad; returns the summed objective (for the log).
at::Tensor pcgrad_backward(Session& s, const std::vector<at::Tensor>& losses, const std::vector<at::Tensor>& aux) {
    const auto parameters = s.model->parameters();
    const auto weights = s.weighting->weights();
    std::vector<std::vector<at::Tensor>> gradients;
    at::Tensor total = at::zeros({}, at::TensorOptions().device(s.device));
    for (std::size_t t = 0; t < losses.size(); ++t) {
        if (!losses[t].defined()) continue;
        const at::Tensor objective = weights[t] * losses[t] + aux[t];
        objective.backward();
        total = total + objective.detach();
        gradients.emplace_back();
        for (auto& p : parameters) {
            gradients.back().push_back(p.grad().defined() ? p.grad().clone() : at::Tensor());
            if (p.grad().defined()) p.mutable_grad().zero_();
        }
        // Each task's gradient over the whole global batch, before the projections compare them.
        if (s.group) average_gradients(*s.group, gradients.back(), parameters);
    }
    const auto combined = pcgrad_combine(gradients, derive_seed(static_cast<std::uint64_t>(s.config.train.seed) +
                                                                    static_cast<std::uint64_t>(s.state.global_step),
                                                                "pcgrad"));
    for (std::size_t p = 0; p < parameters.size(); ++p)
        if (combined[p].defined()) parameters[p].mutable_grad() = combined[p];
    return total;
}

void report_step(const Session& s, double total_loss, const std::vector<double>& task_losses) {
    StepEvent event;
    event.run_id = s.run_id;
    event.step = s.state.global_step;
    event.total_steps = s.total_steps();
    event.epoch = s.state.epoch + 1;
    event.epochs = s.config.train.epochs;
    event.loss = total_loss;
    for (std::size_t t = 0; t < s.tasks.size(); ++t)
        if (!std::isnan(task_losses[t])) event.task_losses.emplace_back(s.tasks[t].spec.name, task_losses[t]);
    event.seconds = std::chrono::duration<double>(Clock::now() - s.start).count();
    event.steps_done_here = s.steps_done_here;
    event.step_in_epoch = s.state.step_in_epoch;
    event.epoch_steps = s.stages->steps_in(s.state.epoch);
    event.epochs = s.total_epochs();
    if (s.stages->pretraining(s.state.epoch)) event.stage = "pretraining";
    events().step(event);
}

// One optimisation step over the batches of the step's tasks.
void train_step(Session& s) {
    const double lr = learning_rate(s.config.train, s.state.global_step, s.total_steps(), s.state.epoch);
    set_learning_rates(s, lr);
    s.optimizer->zero_grad();
    std::vector<at::Tensor> losses(s.tasks.size()), aux(s.tasks.size());
    std::vector<double> task_losses(s.tasks.size(), std::nan(""));
    // Data-parallel ranks draw their own dropout and gating noise, the same after a resume.
    if (s.group)
        at::manual_seed(derive_seed(static_cast<std::uint64_t>(s.config.train.seed) * 1000003ULL +
                                        static_cast<std::uint64_t>(s.state.global_step),
                                    ("rank-" + std::to_string(s.group->rank())).c_str()));
    const std::vector<std::size_t> drawn = s.stages->tasks_for_step(s.state.epoch, s.state.global_step);
    for (std::size_t t : drawn) {
        const at::Tensor indices = s.stages->batch(s.state.epoch, t, s.state.batch_counters[t]++);
        auto [inputs, labels] = select_rows(s.tasks[t].train, indices);
        for (auto& input : inputs) input = input.to(s.device);
        const TaskOutput out = s.model->forward(t, inputs);
        const at::Tensor loss = task_loss(s.tasks[t].spec.type, out.outputs, labels.to(s.device));
        task_losses[t] = loss.item<double>();
        if (!s.group && !std::isfinite(task_losses[t])) stop_diverged(s, s.tasks[t].spec.name, task_losses[t]);
        losses[t] = loss * s.policies->task_loss_factor(t);
        aux[t] = out.aux_loss;
    }
    const at::Tensor total = s.config.train.pcgrad ? pcgrad_backward(s, losses, aux) : summed_backward(s, losses, aux);
    double total_loss = total.item<double>();
    if (s.group) {
        if (!s.config.train.pcgrad) average_parameter_gradients(s);
        total_loss = agree_on_step(s, task_losses, drawn, total_loss);
        for (std::size_t t : drawn)  // every rank sees the same average, so every rank stops here
            if (!std::isfinite(task_losses[t])) stop_diverged(s, s.tasks[t].spec.name, task_losses[t]);
    }
    if (s.config.train.grad_clip > 0) clip_gradient_norm(s.model->parameters(), s.config.train.grad_clip);
    s.optimizer->step();
    s.weighting->after_step();
    s.weighting->record(task_losses);
    ++s.state.global_step;
    ++s.state.step_in_epoch;
    ++s.steps_done_here;
    s.trace->record_step(task_losses, total_loss, lr, s.weighting->weights(), s.policies->weights());
    if (s.state.global_step % s.config.train.log_every == 0) log_window(s);
    report_step(s, total_loss, task_losses);
}

// Every rank must hold rank 0's parameters, k and ALP weights (the reduces give every rank the
// same bits, so the check is exact): DistributedError naming the first rank that drifted.
void check_ranks_agree(Session& s) {
    if (!s.group) return;
    double sum = 0.0, magnitude = 0.0;
    {
        torch::NoGradGuard no_grad;
        for (const auto& p : s.model->parameters()) {
            const at::Tensor d = p.detach().to(at::kDouble);
            sum += d.sum().item<double>();
            magnitude += d.abs().sum().item<double>();
        }
    }
    const std::string parameters = fmt::format("{:.17g}/{:.17g}", sum, magnitude);
    const std::string policies =
        fmt::format("{:.17g}/{}", fmt::join(s.policies->weights(), ","), fmt::join(s.model->modality_top_k(), ","));
    const auto all = s.group->exchange(fmt::format("agree/{}", s.state.epoch), parameters + "|" + policies);
    for (std::size_t r = 1; r < all.size(); ++r)
        if (all[r] != all[0]) {
            const bool same_parameters = all[r].substr(0, all[r].find('|')) == parameters;
            throw DistributedError(fmt::format("data-parallel ranks diverged in epoch {}: rank {}'s {} differ from rank 0's",
                                               s.state.epoch + 1, r, same_parameters ? "k and ALP weights" : "parameters"));
        }
    ++s.agreement_checks;
}

// AEA and ALP after the epoch: they read what it measured, decide the next epoch's k and
// weights, and the epoch's rows go to modality_epochs. A non-finite slot loss stops the run.
std::vector<std::string> adapt(Session& s, const std::vector<TaskEvaluation>& val, const std::vector<bool>& active) {
    std::vector<double> val_losses;
    for (const auto& e : val) val_losses.push_back(e.loss);
    EpochOutcome outcome = s.policies->after_epoch(s.model, s.tasks, val_losses, active, s.trace->take_epoch_entropy(),
                                                   s.state.epoch + 1, s.state.global_step, s.device, s.group.get());
    if (outcome.diverged) {
        s.trace->flush();
        const std::string message = fmt::format(
            "the validation loss of modality slot {} is not finite after epoch {}; AEA does not read it: the run is "
            "marked failed and its last good checkpoint is {}",
            *outcome.diverged, s.state.epoch + 1,
            std::filesystem::exists(s.checkpoint_path()) ? s.checkpoint_path().string() : "none (no epoch finished)");
        if (s.db) s.db->set_status(s.run_id, kRunFailed, message);
        throw TrainingError(message);
    }
    for (auto& r : outcome.rows) r.run_id = s.run_id;
    if (s.db) s.db->add_modality_epochs(outcome.rows);
    return outcome.changes;
}

void run_epoch(Session& s) {
    const bool pretraining = s.stages->pretraining(s.state.epoch);
    while (s.state.step_in_epoch < s.stages->steps_in(s.state.epoch)) {
        if (s.group ? s.stop_agreed : interrupt_requested()) stop_interrupted(s);
        train_step(s);
    }
    log_window(s);  // the epoch's last partial window
    s.weighting->end_epoch();
    check_ranks_agree(s);

    const auto val = evaluate(s.model, s.tasks, Split::Val, s.config.eval.batch_size, s.device, s.group.get());
    const double score = selection_score(val, s.config.train);
    // The pretraining stage's epochs are scored but never selected.
    const bool best = !pretraining && score > s.state.best_score;
    if (best) save_best_model(s);
    const std::vector<std::string> changes = adapt(s, val, s.stages->active(s.state.epoch));
    ++s.state.epoch;
    s.state.step_in_epoch = 0;
    auto rows = evaluation_records(s.run_id, s.state.global_step, s.state.epoch, Split::Val, val);
    rows.push_back({s.run_id, s.state.global_step, s.state.epoch, "val", "all", "score", score, "train"});
    if (s.db) s.db->add_metrics(rows);
    if (best) {
        s.state.best_score = score;
        s.state.best_epoch = s.state.epoch;
    }
    s.trace->flush();  // before the checkpoint: a resume never leaves a gap in the trace
    save_epoch_checkpoint(s, score, best);
    EpochEvent event{s.run_id, s.state.epoch, s.total_epochs(), score, {}, best, pretraining ? "pretraining" : "", changes};
    for (const auto& e : val) event.task_scores.emplace_back(e.task, e.selection);
    events().epoch(event);
}

// model.match_flops: writes the solved dense model into the run's config (source "match_flops"),
// so the stored config rebuilds it without solving again.
void match_flops(Session& s, ResolvedConfig& resolved) {
    if (resolved.values.model.match_flops == MatchFlops::None) return;
    std::vector<TaskSpec> specs;
    for (const auto& t : s.tasks) specs.push_back(t.spec);
    const std::string target = to_string(resolved.values.model.match_flops);
    const ModelConfig dense = flops_matched_dense(resolved.values.model, specs);
    set_config_value(resolved, "model.ffn_hidden", dense.ffn_hidden, "match_flops");
    set_config_value(resolved, "model.match_flops", std::string("none"), "match_flops");
    notify(fmt::format("model.match_flops: dense feed-forward hidden size {} matches the FLOPs of {}", dense.ffn_hidden, target));
}

void start_new_run(Session& s, const TrainRequest& request) {
    ResolvedConfig resolved = request.config;
    prepare_runtime(s, resolved.values);
    match_flops(s, resolved);
    if (s.group) {
        const std::string chosen = s.group->share("config", to_toml(resolved, false));
        if (!s.writes()) resolved = stored_config(chosen, "rank 0's config");
    }
    s.config = resolved.values;
    s.config_toml = to_toml(resolved, false);
    build(s);
    const BuildInfo info = build_info();
    std::string name = s.config.output.run_name;
    if (name.empty()) name = request.experiment.empty() ? "defaults" : std::filesystem::path(request.experiment).stem().string();
    const std::string hash = request.config_hash.empty() ? config_hash(request.config) : request.config_hash;
    if (s.db)
        s.run_id = s.db->create_run({name, request.experiment, s.config_toml, s.config.train.seed, info.git_revision,
                                     build_summary(info), host_name(), request.sweep, request.variant, hash, s.world(),
                                     s.group ? s.group->backend() : std::string()});
    if (s.writes()) {
        s.run_dir = claim_run_folder(s.config.output.runs_dir, s.run_id, s.config.output.database);
        s.db->set_folder(s.run_id, s.run_dir);
    }
    if (s.group) {
        s.run_id = std::stoll(s.group->share("run id", std::to_string(s.run_id)));
        s.run_dir = s.group->share("run folder", s.run_dir.string());
    }
    if (!s.writes()) return;
    std::ofstream(s.run_dir / "config.toml") << s.config_toml;
}

// Rank 0 reads the run to resume and tells the others its folder and config ("<folder>\n<toml>"),
// or why it cannot resume.
std::string resume_config(Session& s, std::int64_t run_id, const std::string& database) {
    std::string verdict;
    if (s.writes()) {
        try {
            require_existing_database(database);
            std::optional<RunRecord> run;
            {
                const ResultsDb db(database);
                run = db.find_run(run_id);
            }
            if (!run) throw UsageError(fmt::format("run {} not found in {}", run_id, database));
            if (run->status == kRunCompleted) throw UsageError(fmt::format("run {} is already completed", run_id));
            if (run->world_size != s.world())
                throw UsageError(fmt::format("run {} was trained by {} rank{} and this resume has {}: resume it with "
                                             "the same world size (its batches are drawn for that many ranks)",
                                             run_id, run->world_size, run->world_size == 1 ? "" : "s", s.world()));
            require_current_design(stored_config(*run), fmt::format("run {}", run_id));
            const auto folder = run_folder(*run);
            check_run_folder_owner(folder, run_id, database);
            verdict = "ok\n" + folder.string() + "\n" + run->config_toml;
        } catch (const UsageError& e) {  // a bad run id
            verdict = std::string("usage\n") + e.what();
        } catch (const IoError& e) {  // no database, or a folder another run owns
            verdict = std::string("io\n") + e.what();
        } catch (const ConfigError& e) {  // a stored config this sm4 no longer reads
            verdict = std::string("config\n") + e.what();
        }
    }
    if (s.group) verdict = s.group->share("resume", verdict);
    const std::size_t newline = verdict.find('\n');
    const std::string kind = verdict.substr(0, newline), text = verdict.substr(newline + 1);
    if (kind == "io") throw IoError(text);
    if (kind == "config") throw ConfigError(text);
    if (kind != "ok") throw UsageError(text);
    return text;
}

void resume_run(Session& s, std::int64_t run_id, const std::string& database) {
    const std::string folder_and_config = resume_config(s, run_id, database);
    const std::size_t newline = folder_and_config.find('\n');
    s.config_toml = folder_and_config.substr(newline + 1);
    s.config = stored_config(s.config_toml, fmt::format("run {} config", run_id)).values;
    prepare_runtime(s, s.config);
    build(s);
    s.run_id = run_id;
    s.run_dir = folder_and_config.substr(0, newline);
    // Every rank reads the checkpoint: a data-parallel run resumes where every rank can read its
    // run folder (one machine, or a shared file system).
    if (!std::filesystem::exists(s.checkpoint_path()))
        throw UsageError(fmt::format("run {} has no checkpoint to resume from ({} is missing{}): it stopped before its "
                                     "first epoch ended; start a new run",
                                     run_id, s.checkpoint_path().string(),
                                     s.group ? fmt::format(" on rank {}", s.group->rank()) : std::string()));
    load_checkpoint(s.checkpoint_path(), s.model, s.optimizer.get(), s.extras.get(), &s.state, s.device);
    s.policies->apply(s.model);  // the k and weights the checkpoint's next epoch trains with
    if (!s.db) return;
    s.db->delete_after_step(run_id, s.state.global_step);
    s.db->set_status(run_id, kRunRunning);
}

void report_start(const Session& s, const TrainRequest& request) {
    RunStartedEvent event;
    event.run_id = s.run_id;
    event.name = s.config.output.run_name;
    event.run_dir = s.run_dir;
    event.database = s.config.output.database;
    event.device = s.device.str();
    event.threads = s.threads.blas > 0 ? s.threads.blas : s.threads.intra_op;
    if (!request.resume_run) event.overrides = overrides_in_effect(request.config, request.experiment);
    event.resumed = request.resume_run.has_value();
    event.step = s.state.global_step;
    event.total_steps = s.total_steps();
    event.log_every = s.config.train.log_every;
    events().run_started(event);
}

// Joins the data-parallel group the environment describes (none for one process) and checks
// that every rank runs the same job on the same sm4: ConfigError naming both otherwise.
void join_group(Session& s, const TrainRequest& request) {
    s.launch = launch_env();
    if (!s.launch.distributed()) return;
    const Config& c = request.config.values;
    s.group = std::make_unique<ProcessGroup>(s.launch, compute_device(c.train.device, s.launch.local_rank),
                                             ProcessGroupOptions{c.train.dist_timeout_s, c.train.dist_bucket_mb});
    const std::string job = request.resume_run ? fmt::format("resume of run {}", *request.resume_run)
                                               : fmt::format("config {}", config_hash(request.config));
    const auto jobs = s.group->exchange("job", job + " at sm4 revision " + build_info().git_revision);
    for (std::size_t r = 1; r < jobs.size(); ++r)
        if (jobs[r] != jobs[0])
            throw ConfigError(fmt::format("data-parallel ranks disagree: rank {} runs the {} but rank 0 runs the {}; "
                                          "start every rank with the same config and the same sm4 build",
                                          r, jobs[r], jobs[0]));
}

// Loads the best epoch's model on rank 0 and gives it to the others (who may not see its file).
void load_best_model(Session& s) {
    if (s.writes()) load_checkpoint(s.best_path(), s.model, nullptr, nullptr, nullptr, s.device);
    if (s.group) s.group->broadcast(replicated_state(s));
}

}  // namespace

TrainResult train_model(const TrainRequest& request) {
    Session s;
    join_group(s, request);
    if (request.resume_run) resume_run(s, *request.resume_run, request.config.values.output.database);
    else start_new_run(s, request);

    std::vector<std::string> task_names;
    for (const auto& t : s.tasks) task_names.push_back(t.spec.name);
    const auto trace_path = s.writes() ? std::optional<std::filesystem::path>(s.run_dir / "trace.h5") : std::nullopt;
    s.trace = std::make_unique<RunTrace>(trace_path, s.model, task_names, s.model->slot_names(), s.db.get(), s.run_id,
                                         request.resume_run ? std::optional<std::int64_t>(s.state.global_step) : std::nullopt);
    s.trace->restore_window(s.state.window, s.writes());
    s.state.window.clear();
    report_start(s, request);

    TrainResult result;
    try {
        s.model->train();
        while (s.state.epoch < s.total_epochs()) run_epoch(s);
        load_best_model(s);
        result.test = evaluate(s.model, s.tasks, Split::Test, s.config.eval.batch_size, s.device, s.group.get());
        if (s.db) {
            s.db->add_metrics(evaluation_records(s.run_id, s.state.global_step, s.state.best_epoch, Split::Test, result.test));
            s.db->set_status(s.run_id, kRunCompleted);
        }
    } catch (const InterruptedError&) {
        throw;
    } catch (const TrainingError&) {
        throw;
    } catch (const std::exception& e) {
        if (s.db) s.db->set_status(s.run_id, kRunFailed, e.what());  // never leave a dead run "running"
        throw;
    }
    result.run_id = s.run_id;
    result.run_dir = s.run_dir;
    result.best_epoch = s.state.best_epoch;
    result.seconds = std::chrono::duration<double>(Clock::now() - s.start).count();
    if (s.group) {
        result.rank = s.group->rank();
        result.world_size = s.world();
        result.backend = s.group->backend();
        result.reduce_seconds = s.group->reduce_seconds();
        result.reduced_bytes = s.group->reduced_bytes();
        result.steps = s.steps_done_here;
        result.agreement_checks = s.agreement_checks;
        s.group->barrier();  // rank 0 hosts the store: it leaves last
    }
    return result;
}

}  // namespace sm4

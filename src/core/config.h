// The one typed configuration tree of sm4, and its table of keys: each key is one row below
// (type, name, default, range check, description). The structs are generated from the rows;
// config_schema.cpp turns the same rows into the parser's table, `sm4 config --keys` and the
// README's key table. Nothing else parses configuration (config_loader.h reads TOML and --set).
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/choice.h"
#include "core/task_type.h"

namespace sm4 {

using Strings = std::vector<std::string>;
using Integers = std::vector<std::int64_t>;
using Numbers = std::vector<double>;

// ---- the words of choice keys -------------------------------------------------------------
enum class Backbone { Dense, Smoe, Sm4 };
enum class Position { Learned, Fourier };
enum class GroupBy { Modality, Kind };
enum class Sampling { RoundRobin, Proportional };
enum class LossWeighting { Fixed, Equal, Uncertainty, Dwa, GradNorm };
enum class Schedule { Cosine, Step, Constant };
enum class ComputeDevice { Cpu, Cuda };
enum class PaceApply { Lr, Loss, Both };
enum class AeaRule { WithinTolerance, LowestVal, LowestGap };

template <> struct ChoiceNames<Backbone> { static constexpr std::array<std::string_view, 3> names{"dense", "smoe", "sm4"}; };
template <> struct ChoiceNames<Position> { static constexpr std::array<std::string_view, 2> names{"learned", "fourier"}; };
template <> struct ChoiceNames<GroupBy> { static constexpr std::array<std::string_view, 2> names{"modality", "kind"}; };
template <> struct ChoiceNames<Sampling> {
    static constexpr std::array<std::string_view, 2> names{"round_robin", "proportional"};
};
template <> struct ChoiceNames<LossWeighting> {
    static constexpr std::array<std::string_view, 5> names{"fixed", "equal", "uncertainty", "dwa", "gradnorm"};
};
template <> struct ChoiceNames<Schedule> { static constexpr std::array<std::string_view, 3> names{"cosine", "step", "constant"}; };
template <> struct ChoiceNames<ComputeDevice> { static constexpr std::array<std::string_view, 2> names{"cpu", "cuda"}; };
template <> struct ChoiceNames<PaceApply> { static constexpr std::array<std::string_view, 3> names{"lr", "loss", "both"}; };
template <> struct ChoiceNames<AeaRule> {
    static constexpr std::array<std::string_view, 3> names{"within_tolerance", "lowest_val", "lowest_gap"};
};

// ---- the keys: X(type, name, default, check, description) ----------------------------------
// Checks (expanded only in config_schema.cpp): any() accepts every value of the type, in_range(lo,
// hi) a finite number within [lo, hi], non_empty() a non-empty list. Choice keys accept their
// enum's words.

#define SM4_DATA_KEYS(X)                                                                                       \
    X(std::string, root, "datasets", any(), "Folder holding the canonical datasets, one <task>.h5 per task")   \
    X(Strings, tasks, (Strings{"fashion-mnist", "digits-av", "breast-cancer", "wine"}), non_empty(),            \
      "Tasks of the experiment, by dataset name (the file is <root>/<task>.h5)")                                \
    X(std::int64_t, seed, 0, in_range(0, 9.0e18), "Seed of every split and synthesis made by `sm4 preprocess`") \
    X(double, val_fraction, 0.1, in_range(0.0, 0.5), "Share of the training data held out as the validation split") \
    X(double, test_fraction, 0.2, in_range(0.05, 0.5),                                                          \
      "Share of the data held out as the test split when the source has none")

#define SM4_DIGITS_AV_KEYS(X)                                                                                  \
    X(Strings, voices,                                                                                         \
      (Strings{"en", "en-us", "en-gb-scotland", "en-gb-x-rp", "en-gb-x-gbclan", "en-gb-x-gbcwmd", "en-029"}),     \
      non_empty(), "espeak-ng voices the spoken digits are drawn from")                                         \
    X(Strings, variants, (Strings{"m1", "m2", "m3", "m4", "m5", "m6", "m7", "f1", "f2", "f3", "f4", "f5"}),        \
      non_empty(), "espeak-ng voice variants (m1..m7, f1..f5, ...) drawn per recording")                        \
    X(std::int64_t, rate_min, 130, in_range(80, 450), "Slowest speaking rate, words per minute")               \
    X(std::int64_t, rate_max, 220, in_range(80, 450), "Fastest speaking rate, words per minute")               \
    X(std::int64_t, pitch_min, 20, in_range(0, 99), "Lowest base pitch (espeak-ng scale 0..99)")               \
    X(std::int64_t, pitch_max, 80, in_range(0, 99), "Highest base pitch (espeak-ng scale 0..99)")              \
    X(double, snr_min_db, 5.0, in_range(-20, 100), "Lowest signal-to-noise ratio of the additive white noise, dB") \
    X(double, snr_max_db, 25.0, in_range(-20, 100), "Highest signal-to-noise ratio of the additive white noise, dB") \
    X(std::int64_t, n_mels, 32, in_range(8, 128), "Mel bands of the log-mel spectrogram (its height)")         \
    X(std::int64_t, frames, 32, in_range(8, 128),                                                              \
      "Frames of the log-mel spectrogram (its width; hop 512 samples at 22.05 kHz)")

#define SM4_AFFECT_KEYS(X)                                                                                     \
    X(bool, per_example_znorm, false, any(),                                                                   \
      "mosei, mosi, urfunny, mustard: standardise each example's features over its 50 steps, as HighMMT does "  \
      "for CMU-MOSEI (datasets/MULTIBENCH.md)")

#define SM4_MODEL_KEYS(X)                                                                                      \
    X(Backbone, backbone, Backbone::Smoe, any(),                                                               \
      "dense (HighMMT-like transformer), smoe (vanilla sparse MoE, one shared router per layer) or sm4 (one "    \
      "router and expert group per modality)")                                                                  \
    X(std::int64_t, d_model, 64, in_range(8, 4096), "Token width")                                             \
    X(std::int64_t, layers, 2, in_range(1, 64), "Transformer blocks shared by all tasks")                      \
    X(std::int64_t, heads, 4, in_range(1, 64), "Attention heads (must divide d_model)")                        \
    X(std::int64_t, ffn_hidden, 128, in_range(4, 65536), "Hidden width of the dense feed-forward and of each expert") \
    X(double, dropout, 0.1, in_range(0, 0.9), "Dropout after attention and feed-forward")                      \
    X(std::int64_t, patch_size, 0, in_range(0, 1024),                                                          \
      "Side of the square patches images are cut into (capped at the image side); 0 = from image_grid")         \
    X(std::int64_t, image_grid, 4, in_range(1, 256),                                                           \
      "With patch_size 0: patch side = ceil(side / image_grid), so every image gives about image_grid^2 "       \
      "tokens whatever its size")                                                                               \
    X(Position, position, Position::Learned, any(), "Position features: learned or fourier (HighMMT)")         \
    X(std::int64_t, fourier_bands, 8, in_range(1, 64), "Frequency bands of Fourier position features")         \
    X(std::int64_t, num_experts, 8, in_range(1, 1024), "Experts per MoE layer")                                \
    X(std::int64_t, top_k, 2, in_range(1, 1024), "Experts each token is sent to")                              \
    X(std::int64_t, moe_every, 1, in_range(1, 64),                                                             \
      "Every n-th block (n, 2n, ...) has MoE instead of the dense feed-forward")                                \
    X(double, capacity_factor, 1.25, in_range(-1, 1000),                                                       \
      "Expert capacity = factor * tokens * top_k / experts; <= 0 drops nothing")                                \
    X(GroupBy, group_by, GroupBy::Modality, any(),                                                             \
      "sm4: one expert group per modality slot (task/modality), or per modality kind")                          \
    X(Integers, group_experts, Integers{}, any(),                                                              \
      "sm4: experts owned by each group, in group order; empty = num_experts split evenly")                     \
    X(std::int64_t, shared_experts, 0, in_range(0, 1024), "sm4: experts open to every group besides its own")  \
    X(bool, noisy_gating, true, any(), "Noisy top-k gating (Shazeer et al. 2017) while training")              \
    X(double, balance_loss_weight, 0.01, in_range(0, 100),                                                     \
      "Weight of the importance + load balancing loss (cv^2 of each)")                                          \
    X(double, router_z_loss_weight, 0.0, in_range(0, 100),                                                     \
      "Weight of the router z-loss (mean squared log-sum-exp of router logits)")                                \
    X(std::int64_t, attention_experts, 0, in_range(0, 256),                                                    \
      "Mixture of attention heads: head experts per attention layer; 0 = ordinary attention")                   \
    X(std::int64_t, attention_top_k, 2, in_range(1, 256), "Attention-head experts each token uses")

#define SM4_TRAIN_KEYS(X)                                                                                      \
    X(std::int64_t, epochs, 5, in_range(1, 100000), "Epochs")                                                  \
    X(std::int64_t, steps_per_epoch, 0, in_range(0, 1e9),                                                      \
      "Steps per epoch; 0 = batches in the largest task's train split")                                         \
    X(std::int64_t, batch_size, 64, in_range(1, 65536), "Examples per task per batch")                         \
    X(Sampling, sampling, Sampling::RoundRobin, any(),                                                         \
      "round_robin: one batch of every task per step (HighMMT); proportional: one task per step, drawn in "     \
      "proportion to its size")                                                                                 \
    X(Numbers, task_weights, Numbers{}, any(), "Loss weight of each task, in data.tasks order; empty = all 1") \
    X(LossWeighting, loss_weighting, LossWeighting::Fixed, any(),                                              \
      "How task losses combine: fixed (train.task_weights, HighMMT), equal, uncertainty (Kendall et al.), dwa " \
      "(Liu et al.) or gradnorm (Chen et al.)")                                                                 \
    X(double, dwa_temperature, 2.0, in_range(1e-3, 1e3), "dwa: softmax temperature")                           \
    X(double, gradnorm_alpha, 1.5, in_range(0, 10), "gradnorm: restoring-force strength alpha")                \
    X(bool, pcgrad, false, any(),                                                                              \
      "PCGrad (Yu et al.): project each task's gradient off those of tasks it conflicts with; needs "           \
      "loss_weighting fixed or equal")                                                                          \
    X(double, lr, 2e-3, in_range(0, 10), "Peak learning rate (AdamW)")                                         \
    X(double, weight_decay, 1e-2, in_range(0, 10), "AdamW weight decay")                                       \
    X(Schedule, schedule, Schedule::Cosine, any(), "Learning-rate schedule after warm-up")                     \
    X(double, warmup_fraction, 0.05, in_range(0, 0.9), "Share of all steps with a linear warm-up")             \
    X(std::int64_t, step_every_epochs, 2, in_range(1, 100000), "step schedule: epochs between learning-rate drops") \
    X(double, step_gamma, 0.5, in_range(0, 1), "step schedule: factor at each drop")                           \
    X(double, grad_clip, 1.0, in_range(-1, 1e9), "Max global gradient norm; <= 0 = no clipping")               \
    X(std::int64_t, seed, 0, in_range(0, 9.0e18), "Seed of initialisation, sampling, dropout and gating noise") \
    X(std::int64_t, threads, 0, in_range(0, 1024), "CPU threads; 0 = all cores")                               \
    X(ComputeDevice, device, ComputeDevice::Cpu, any(), "cpu or cuda")                                         \
    X(std::int64_t, log_every, 10, in_range(1, 1e9), "Steps between trace rows and logged train metrics")

#define SM4_PACE_KEYS(X)                                                                                       \
    X(bool, enabled, false, any(),                                                                             \
      "Adaptive learning pace: per-modality-group multipliers from the routing entropy's rate of change")       \
    X(PaceApply, apply, PaceApply::Lr, any(),                                                                  \
      "lr: scale each group's learning rate; loss: scale each task's loss by its groups' mean; both")           \
    X(double, beta, 0.9, in_range(0, 0.999), "Moving-average factor of the entropy and of its change")         \
    X(double, gain, 1.0, in_range(0, 10), "Exponent on a group's relative rate of change")                     \
    X(double, min, 0.5, in_range(0.01, 1), "Lowest multiplier")                                                \
    X(double, max, 2.0, in_range(1, 100), "Highest multiplier")

#define SM4_AEA_KEYS(X)                                                                                        \
    X(bool, enabled, false, any(),                                                                             \
      "Adaptive expert allocation (sm4 backbone, model.group_experts empty): probe expert counts per modality " \
      "group before training")                                                                                  \
    X(Integers, candidates, (Integers{1, 2, 4, 8}), non_empty(), "Expert counts the probe tries for every group") \
    X(std::int64_t, budget, 0, in_range(0, 1e6),                                                               \
      "Most experts per layer over all groups; 0 = no limit (over it, the largest groups step down)")           \
    X(std::int64_t, probe_steps, 0, in_range(0, 1e9),                                                          \
      "Training steps per candidate; 0 = one epoch's steps shared by the candidates")                           \
    X(std::int64_t, probe_train_examples, 2048, in_range(1, 1e9),                                              \
      "Train examples per task scored for the probe's train loss")                                              \
    X(AeaRule, rule, AeaRule::WithinTolerance, any(),                                                          \
      "within_tolerance: smallest count whose val loss is within aea.tolerance of the best; lowest_val; "       \
      "lowest_gap: smallest val-train gap among those within tolerance")                                        \
    X(double, tolerance, 0.05, in_range(0, 10), "Relative tolerance on the best validation loss")

#define SM4_EVAL_KEYS(X)                                                                                       \
    X(Split, split, Split::Test, any(), "Split sm4 eval scores")                                               \
    X(std::int64_t, batch_size, 512, in_range(1, 1e6), "Examples per evaluation batch")

#define SM4_OUTPUT_KEYS(X)                                                                                     \
    X(std::string, database, kDefaultDatabase, any(), "SQLite results database")                              \
    X(std::string, runs_dir, "results/runs", any(), "Folder of run folders (checkpoints, trace.h5)")           \
    X(std::string, run_name, "", any(), "Run name; empty = the last config file's name")

// The default results database, where every command that reads or writes runs looks first.
inline constexpr const char* kDefaultDatabase = "results/sm4.db";

#define SM4_CONFIG_MEMBER(type, name, default_value, check, description) type name = default_value;

struct DataConfig { SM4_DATA_KEYS(SM4_CONFIG_MEMBER) };
struct DigitsAvConfig { SM4_DIGITS_AV_KEYS(SM4_CONFIG_MEMBER) };
struct AffectConfig { SM4_AFFECT_KEYS(SM4_CONFIG_MEMBER) };
struct PreprocessConfig {
    DigitsAvConfig digits_av;
    AffectConfig affect;
};
struct ModelConfig { SM4_MODEL_KEYS(SM4_CONFIG_MEMBER) };
struct TrainConfig { SM4_TRAIN_KEYS(SM4_CONFIG_MEMBER) };
// SM4's adaptive learning pace (README, "Adaptive learning pace").
struct PaceConfig { SM4_PACE_KEYS(SM4_CONFIG_MEMBER) };
// SM4's adaptive expert allocation: before main training, a probe trains the sm4 model once per
// candidate count (every group with that many experts, the groups learning side by side), scores
// each group by the train and validation losses of the tasks that use it, and picks each
// group's count by `rule`. Runs only for backbone "sm4" with model.group_experts empty.
struct AeaConfig { SM4_AEA_KEYS(SM4_CONFIG_MEMBER) };
struct EvalConfig { SM4_EVAL_KEYS(SM4_CONFIG_MEMBER) };
struct OutputConfig { SM4_OUTPUT_KEYS(SM4_CONFIG_MEMBER) };

#undef SM4_CONFIG_MEMBER

struct Config {
    DataConfig data;
    PreprocessConfig preprocess;
    ModelConfig model;
    TrainConfig train;
    PaceConfig pace;
    AeaConfig aea;
    EvalConfig eval;
    OutputConfig output;
};

// The sections of Config and their key rows, in the order `--dump-config` prints them:
// X(prefix, Section type, member path from a Config, rows macro).
#define SM4_CONFIG_SECTIONS(X)                                             \
    X("data", DataConfig, data, SM4_DATA_KEYS)                             \
    X("preprocess.digits_av", DigitsAvConfig, preprocess.digits_av, SM4_DIGITS_AV_KEYS) \
    X("preprocess.affect", AffectConfig, preprocess.affect, SM4_AFFECT_KEYS) \
    X("model", ModelConfig, model, SM4_MODEL_KEYS)                         \
    X("train", TrainConfig, train, SM4_TRAIN_KEYS)                         \
    X("pace", PaceConfig, pace, SM4_PACE_KEYS)                             \
    X("aea", AeaConfig, aea, SM4_AEA_KEYS)                                 \
    X("eval", EvalConfig, eval, SM4_EVAL_KEYS)                             \
    X("output", OutputConfig, output, SM4_OUTPUT_KEYS)

}  // namespace sm4

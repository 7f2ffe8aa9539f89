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
enum class Backbone { Dense, Smoe, Sm4, HighMmt };
// Which router network scores a token in an expert group (Table 5): one for all (the paper's
// SM4), one per modality slot, one per task, or no experts at all (a dense layer).
enum class RouterScope { Single, Modality, Task, None };
enum class QkvRouting { Separate, Shared };
enum class Gate { TopKSoftmax, Renormalized };
enum class Fusion { Sequence, Batch };
enum class Pooling { Mean, First, Last };
enum class HeadNorm { BatchNorm, LayerNorm, None };
enum class EncoderFeedForward { Geglu, None };
enum class AeaLoss { Alone, Task };
enum class Sampling { RoundRobin, Proportional, HighMmt };
enum class LossWeighting { Fixed, Equal, Uncertainty, Dwa, GradNorm };
enum class Schedule { Cosine, Step, Constant };
enum class ComputeDevice { Cpu, Cuda };
enum class PaceMechanism { Gradient, Loss };
enum class PaceEntropy { Nats, Normalized };
enum class Optimizer { AdamW, Adam };
enum class Select { Pooled, Weighted, Sum };
enum class RegressionScore { Mse, Rmse };
enum class MatchFlops { None, Sm4, Smoe };
enum class SingleModality { Flatten, Mean, Refuse };

template <> struct ChoiceNames<Backbone> { static constexpr std::array<std::string_view, 4> names{"dense", "smoe", "sm4", "highmmt"}; };
template <> struct ChoiceNames<RouterScope> {
    static constexpr std::array<std::string_view, 4> names{"single", "modality", "task", "none"};
};
template <> struct ChoiceNames<QkvRouting> { static constexpr std::array<std::string_view, 2> names{"separate", "shared"}; };
template <> struct ChoiceNames<Gate> { static constexpr std::array<std::string_view, 2> names{"topk_softmax", "renormalized"}; };
template <> struct ChoiceNames<Fusion> { static constexpr std::array<std::string_view, 2> names{"sequence", "batch"}; };
template <> struct ChoiceNames<Pooling> { static constexpr std::array<std::string_view, 3> names{"mean", "first", "last"}; };
template <> struct ChoiceNames<HeadNorm> {
    static constexpr std::array<std::string_view, 3> names{"batchnorm", "layernorm", "none"};
};
template <> struct ChoiceNames<EncoderFeedForward> { static constexpr std::array<std::string_view, 2> names{"geglu", "none"}; };
template <> struct ChoiceNames<AeaLoss> { static constexpr std::array<std::string_view, 2> names{"alone", "task"}; };
template <> struct ChoiceNames<Sampling> {
    static constexpr std::array<std::string_view, 3> names{"round_robin", "proportional", "highmmt"};
};
template <> struct ChoiceNames<LossWeighting> {
    static constexpr std::array<std::string_view, 5> names{"fixed", "equal", "uncertainty", "dwa", "gradnorm"};
};
template <> struct ChoiceNames<Schedule> { static constexpr std::array<std::string_view, 3> names{"cosine", "step", "constant"}; };
template <> struct ChoiceNames<ComputeDevice> { static constexpr std::array<std::string_view, 2> names{"cpu", "cuda"}; };
template <> struct ChoiceNames<PaceMechanism> { static constexpr std::array<std::string_view, 2> names{"gradient", "loss"}; };
template <> struct ChoiceNames<PaceEntropy> { static constexpr std::array<std::string_view, 2> names{"nats", "normalized"}; };
template <> struct ChoiceNames<Optimizer> { static constexpr std::array<std::string_view, 2> names{"adamw", "adam"}; };
template <> struct ChoiceNames<Select> { static constexpr std::array<std::string_view, 3> names{"pooled", "weighted", "sum"}; };
template <> struct ChoiceNames<RegressionScore> { static constexpr std::array<std::string_view, 2> names{"mse", "rmse"}; };
template <> struct ChoiceNames<MatchFlops> { static constexpr std::array<std::string_view, 3> names{"none", "sm4", "smoe"}; };
template <> struct ChoiceNames<SingleModality> {
    static constexpr std::array<std::string_view, 3> names{"flatten", "mean", "refuse"};
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
    X(Backbone, backbone, Backbone::Sm4, any(),                                                                \
      "sm4 (the paper's network: unimodal encoder, then layers with SMoA and SMoE, docs/sm4.md), dense (the "  \
      "same network with dense layers), smoe (dense attention, SMoE feed-forward with one router) or highmmt "  \
      "(HighMMT's perceiver network, docs/highmmt.md)")                                                        \
    X(std::int64_t, d_model, 64, in_range(8, 4096),                                                            \
      "Width of the layers after the encoder (the latents are projected to it when model.latent_dim differs)") \
    X(std::int64_t, layers, 1, in_range(1, 64), "Transformer layers after the unimodal encoder, shared by all tasks") \
    X(Integers, sparse_layers, Integers{}, any(),                                                              \
      "Which layers (1-based) are sparse (SM4 layers; MoE layers for smoe); empty = every moe_every-th (Table 8)") \
    X(std::int64_t, moe_every, 1, in_range(1, 64),                                                             \
      "With sparse_layers empty: layers n, 2n, ... are sparse, the others dense")                              \
    X(std::int64_t, heads, 8, in_range(1, 64), "Attention heads of those layers (must divide d_model; 8 of 8 in the paper)") \
    X(std::int64_t, attention_head_dim, 0, in_range(0, 4096),                                                  \
      "Width of each head of those layers' dense attention; 0 = d_model / heads. Table 7's Equal Capacity "     \
      "Model: 4x heads of 8x width. SMoA's experts stay d_model wide (sm4 with SMoA refuses it)")              \
    X(std::int64_t, ffn_hidden, 128, in_range(4, 65536), "Hidden width of a dense feed-forward")              \
    X(std::int64_t, expert_hidden, 0, in_range(0, 65536),                                                      \
      "Hidden width of each feed-forward expert; 0 = ffn_hidden (the paper does not state it: docs/sm4.md)")   \
    X(MatchFlops, match_flops, MatchFlops::None, any(),                                                        \
      "dense backbone: size ffn_hidden so FLOPs per sample equal this config's with backbone sm4 or smoe; "     \
      "the run records the chosen ffn_hidden")                                                                  \
    X(double, dropout, 0.1, in_range(0, 0.9), "Dropout on the residual branches of the layers after the encoder") \
    X(std::int64_t, num_experts, 16, in_range(1, 1024),                                                        \
      "Experts of each expert group (feed-forward, query, key, value): 16 / 32 / 16 in the paper")             \
    X(Integers, modality_top_k, Integers{1}, non_empty(),                                                      \
      "Experts a token activates in every expert group: one value for every modality slot, or one per slot "   \
      "(task/modality, in data.tasks order); AEA starts from these (Eq. 3)")                                    \
    X(RouterScope, ffn_router, RouterScope::Single, any(),                                                     \
      "sm4: the SMoE's router network: single (one for every modality and task), modality, task, or none "     \
      "(a dense feed-forward: w/o SMoE) (Table 5)")                                                             \
    X(RouterScope, attention_router, RouterScope::Single, any(),                                               \
      "sm4: the SMoA's routers (query, key, value): single, modality, task, or none (dense attention: w/o "     \
      "SMoA) (Table 5)")                                                                                        \
    X(QkvRouting, qkv_router, QkvRouting::Separate, any(),                                                     \
      "sm4: separate (a router each for query, key and value, C.3) or shared (one for all three, Table 12)")   \
    X(Gate, gate, Gate::TopKSoftmax, any(),                                                                    \
      "topk_softmax: the chosen experts' entries of the full softmax (Eq. 1-2); renormalized: a softmax over "  \
      "the chosen logits")                                                                                      \
    X(double, capacity_factor, 0.0, in_range(-1, 1000),                                                        \
      "Expert capacity = factor * assignments / experts; <= 0 drops nothing (the paper)")                       \
    X(bool, noisy_gating, true, any(), "Noisy top-k gating (Shazeer et al. 2017) while training")              \
    X(double, balance_loss_weight, 0.1, in_range(0, 100),                                                      \
      "Weight of the importance + load balancing loss (cv^2 of each, per router; Shazeer et al. 2017)")         \
    X(double, router_z_loss_weight, 0.0, in_range(0, 100),                                                     \
      "Weight of the router z-loss (mean squared log-sum-exp of router logits)")                                \
    X(Fusion, fusion, Fusion::Sequence, any(),                                                                 \
      "How a task's modality latents meet: sequence (concatenated tokens, C.2) or batch (each modality its "   \
      "own sequence, Table 11)")                                                                                \
    X(Pooling, head_pooling, Pooling::Mean, any(),                                                             \
      "How each modality's latents become its latent_dim-wide part of the head input: mean, first or last")    \
    X(HeadNorm, head_norm, HeadNorm::BatchNorm, any(),                                                         \
      "Norm of the head input before its Linear: batchnorm (Tables 15-17), layernorm or none")                  \
    X(std::int64_t, binary_logits, 1, in_range(1, 2),                                                          \
      "Outputs of a binary task's head: 1 (a logit, binary cross-entropy) or 2 (two classes, cross-entropy; "  \
      "the paper's large group)")                                                                               \
    X(EncoderFeedForward, encoder_ff, EncoderFeedForward::Geglu, any(),                                        \
      "Unimodal encoder (dense, smoe, sm4): geglu (HighMMT's layer: a GEGLU after each attention) or none "     \
      "(Figure 5: attention only)")                                                                             \
    X(bool, encoder_double_residual, true, any(),                                                              \
      "Unimodal encoder: add the layer's input again around its latent block, as HighMMT's code does")         \
    X(std::int64_t, latents, 20, in_range(1, 4096), "Latent vectors of the shared latent array (every modality leaves with this many)") \
    X(std::int64_t, latent_dim, 64, in_range(1, 4096), "Width of each latent")                                 \
    X(std::int64_t, cross_heads, 1, in_range(1, 64), "Heads of the latents' attention to a modality's tokens") \
    X(std::int64_t, cross_head_dim, 64, in_range(1, 1024), "Width of each of those heads")                     \
    X(std::int64_t, latent_heads, 8, in_range(1, 64), "Heads of the encoder's latent self-attention")          \
    X(std::int64_t, latent_head_dim, 64, in_range(1, 1024), "Width of each latent self-attention head")        \
    X(std::int64_t, ff_mult, 4, in_range(1, 64),                                                               \
      "Encoder GEGLU hidden = latent_dim * ff_mult (its first layer is twice as wide)")                         \
    X(std::int64_t, unimodal_depth, 1, in_range(1, 64), "Layers of the unimodal encoder")                     \
    X(std::int64_t, pair_heads, 4, in_range(1, 64), "highmmt: heads of the cross-modal (pair) attention")      \
    X(std::int64_t, pair_head_dim, 64, in_range(1, 1024), "highmmt: width of each pair-attention head")        \
    X(std::int64_t, cross_depth, 2, in_range(0, 64), "highmmt: layers of the cross-modal stage (0 = none)")    \
    X(double, max_freq, 1.0, in_range(1e-6, 1e6),                                                              \
      "Fourier max frequency (bands spaced 2^linspace(1, log2(max_freq / 2), bands), as HighMMT)")              \
    X(std::int64_t, fourier_bands, 8, in_range(1, 64), "Frequency bands of the Fourier position features")     \
    X(Strings, token_rules, Strings{}, any(),                                                                  \
      "Per-modality token rules \"task/modality: rule [bands=K] [max_freq=F] [code=NAME]\", rule one of "      \
      "pixels, steps, elements, one, flatten, patches=P or patches=HxW (docs/sm4.md, docs/highmmt.md)")        \
    X(std::int64_t, modality_codes, 0, in_range(0, 4096),                                                      \
      "Length of the one-hot modality code; 0 = the number of distinct codes")                                  \
    X(std::int64_t, max_tokens, 65536, in_range(1, 1 << 24),                                                   \
      "Most tokens one modality of one example may give (the memory rule)")                                     \
    X(SingleModality, single_modality, SingleModality::Flatten, any(),                                         \
      "highmmt: head input of a one-modality task (no pair): flatten its latents (HighMMT), mean, or refuse")

#define SM4_TRAIN_KEYS(X)                                                                                      \
    X(std::int64_t, epochs, 5, in_range(1, 100000), "Epochs")                                                  \
    X(std::int64_t, steps_per_epoch, 0, in_range(0, 1e9),                                                      \
      "Steps per epoch; 0 = batches in the largest task's train split")                                         \
    X(std::int64_t, batch_size, 64, in_range(1, 65536), "Examples per task per batch")                         \
    X(Integers, task_batch_sizes, Integers{}, any(), "Batch size of each task, in data.tasks order; empty = batch_size") \
    X(Strings, pretrain_tasks, Strings{}, any(),                                                               \
      "Tasks trained alone before the main epochs (the medium group's PUSH, Table 16); empty = no pretraining") \
    X(std::int64_t, pretrain_epochs, 0, in_range(0, 100000), "Epochs of that pretraining stage")              \
    X(bool, modality_records, false, any(),                                                                    \
      "Record each slot's losses and routing entropy every epoch (table modality_epochs) also without AEA or "  \
      "ALP (which record them always): the per-modality fitting of Figure 2b-c for any backbone but highmmt")    \
    X(Sampling, sampling, Sampling::RoundRobin, any(),                                                         \
      "round_robin: one batch of every task per step, smaller tasks cycled; proportional: one task per step, "  \
      "drawn in proportion to its size; highmmt: step s takes batch s of every task that has one, longest "     \
      "first (HighMMT's loop)")                                                                                 \
    X(Numbers, task_weights, Numbers{}, any(), "Loss weight of each task, in data.tasks order; empty = all 1") \
    X(LossWeighting, loss_weighting, LossWeighting::Fixed, any(),                                              \
      "How task losses combine: fixed (train.task_weights, HighMMT), equal, uncertainty (Kendall et al.), dwa " \
      "(Liu et al.) or gradnorm (Chen et al.)")                                                                 \
    X(double, dwa_temperature, 2.0, in_range(1e-3, 1e3), "dwa: softmax temperature")                           \
    X(double, gradnorm_alpha, 1.5, in_range(0, 10), "gradnorm: restoring-force strength alpha")                \
    X(bool, pcgrad, false, any(),                                                                              \
      "PCGrad (Yu et al.): project each task's gradient off those of tasks it conflicts with; needs "           \
      "loss_weighting fixed or equal")                                                                          \
    X(Optimizer, optimizer, Optimizer::AdamW, any(), "adamw (decoupled weight decay) or adam (L2 decay, HighMMT)") \
    X(double, lr, 2e-3, in_range(0, 10), "Peak learning rate")                                                 \
    X(double, weight_decay, 1e-2, in_range(0, 10), "Weight decay of the optimizer")                            \
    X(Select, select, Select::Pooled, any(),                                                                   \
      "Best-epoch rule: pooled (each task's validation metric weighted by its share of validation examples), "  \
      "weighted (by train.select_weights) or sum")                                                              \
    X(Numbers, select_weights, Numbers{}, any(),                                                               \
      "weighted selection: weight of each task's metric, data.tasks order; empty = train.task_weights")         \
    X(RegressionScore, select_regression, RegressionScore::Mse, any(),                                         \
      "Regression metric in the selection score, negated: mse, or rmse (HighMMT's medium group)")               \
    X(Schedule, schedule, Schedule::Cosine, any(), "Learning-rate schedule after warm-up")                     \
    X(double, warmup_fraction, 0.05, in_range(0, 0.9), "Share of all steps with a linear warm-up")             \
    X(std::int64_t, step_every_epochs, 2, in_range(1, 100000), "step schedule: epochs between learning-rate drops") \
    X(double, step_gamma, 0.5, in_range(0, 1), "step schedule: factor at each drop")                           \
    X(double, grad_clip, 1.0, in_range(-1, 1e9), "Max global gradient norm; <= 0 = no clipping")               \
    X(std::int64_t, seed, 0, in_range(0, 9.0e18), "Seed of initialisation, sampling, dropout and gating noise") \
    X(std::int64_t, threads, 0, in_range(0, 1024), "CPU threads; 0 = all cores")                               \
    X(ComputeDevice, device, ComputeDevice::Cpu, any(), "cpu or cuda")                                         \
    X(std::int64_t, log_every, 10, in_range(1, 1e9), "Steps between trace rows and logged train metrics")      \
    X(double, dist_timeout_s, 300.0, in_range(1, 86400),                                                        \
      "Data-parallel runs: seconds a rank waits for the others (a collective, the start-up rendezvous) before "  \
      "it gives up and names the ranks it lost")                                                                \
    X(double, dist_bucket_mb, 25.0, in_range(0.001, 4096),                                                      \
      "Data-parallel runs: gradients are all-reduced in flat buckets of at most this many MiB")

#define SM4_PACE_KEYS(X)                                                                                       \
    X(bool, enabled, false, any(),                                                                             \
      "Adaptive learning pace (Algorithm 4): after each epoch, modality slot m's learning-rate weight for the " \
      "next is w_m = 1 - softmax(H)_m over the slots' mean routing entropies H")                                \
    X(PaceMechanism, mechanism, PaceMechanism::Gradient, any(),                                                \
      "gradient: each shared weight's gradient sums w_m times modality m's tokens' share; loss: each task's "  \
      "loss times the mean w of its modalities")                                                                \
    X(PaceEntropy, entropy, PaceEntropy::Nats, any(),                                                          \
      "H in nats, or normalized by log(experts) to [0, 1] (a softmax temperature of log(experts))")            \
    X(double, start_weight, 1.0, in_range(1e-6, 1.0), "Every slot's weight in the first epoch, in (0, 1]")      \
    X(bool, normalize, false, any(),                                                                           \
      "Rescale the weights to mean 1 (ALP then only moves pace between slots; false: the paper's 1 - softmax)")

#define SM4_AEA_KEYS(X)                                                                                        \
    X(bool, enabled, false, any(),                                                                             \
      "Adaptive expert allocation (Algorithm 3): after each epoch, each modality slot's k grows by one when "  \
      "its validation loss stops falling, steps back and freezes when the growth did not help")                 \
    X(AeaLoss, modality_loss, AeaLoss::Alone, any(),                                                           \
      "A slot's validation loss: alone (its task's loss with only that modality present) or task (the task's " \
      "loss, shared by its modalities)")                                                                        \
    X(double, min_improvement, 0.0, in_range(0, 1),                                                            \
      "Relative drop below the best loss that counts as an improvement (0: any drop, the paper)")               \
    X(std::int64_t, max_k, 0, in_range(0, 1024), "Most experts AEA lets a slot activate; 0 = model.num_experts") \
    X(std::int64_t, train_examples, 1024, in_range(1, 1e9),                                                    \
      "Examples per task (a fixed, seeded subset of the training split) on which each slot's training loss "   \
      "is measured every epoch, beside its validation loss (the generalisation gap, Figure 2c)")

#define SM4_EVAL_KEYS(X)                                                                                       \
    X(Split, split, Split::Test, any(), "Split sm4 eval scores")                                               \
    X(std::int64_t, batch_size, 512, in_range(1, 1e6), "Examples per evaluation batch")

#define SM4_OUTPUT_KEYS(X)                                                                                     \
    X(std::string, database, kDefaultDatabase, any(), "SQLite results database")                              \
    X(std::string, runs_dir, "results/runs", any(), "Folder of run folders (checkpoints, trace.h5)")           \
    X(std::string, run_name, "", any(), "Run name; empty = the last config file's name")

// The default results database, where every command that reads or writes runs looks first.
inline constexpr const char* kDefaultDatabase = "results/sm4.db";

// What a command sm4 suggests (a resume hint, `sm4 flops --run N`) adds so it works verbatim:
// " --db PATH" (shell-quoted when needed) unless `database` is `default_database` (compared after
// lexical normalisation; an empty default matches nothing).
std::string database_flag(const std::string& database, const std::string& default_database);
// The same against the database a bare command opens wherever it is pasted: results/sm4.db when
// $SM4_DB is unset or names it; otherwise nothing (the flag is always added).
std::string database_flag(const std::string& database);
// The database commands open without --db or --config: $SM4_DB, else results/sm4.db.
std::string default_database();

#define SM4_CONFIG_MEMBER(type, name, default_value, check, description) type name = default_value;

struct DataConfig { SM4_DATA_KEYS(SM4_CONFIG_MEMBER) };
struct DigitsAvConfig { SM4_DIGITS_AV_KEYS(SM4_CONFIG_MEMBER) };
struct AffectConfig { SM4_AFFECT_KEYS(SM4_CONFIG_MEMBER) };
struct PreprocessConfig {
    DigitsAvConfig digits_av;
    AffectConfig affect;
};
struct ModelConfig { SM4_MODEL_KEYS(SM4_CONFIG_MEMBER) };
// Each expert's hidden width: model.expert_hidden, or ffn_hidden when that is 0.
inline std::int64_t expert_hidden_width(const ModelConfig& m) { return m.expert_hidden > 0 ? m.expert_hidden : m.ffn_hidden; }
struct TrainConfig { SM4_TRAIN_KEYS(SM4_CONFIG_MEMBER) };
// SM4's adaptive learning pace (Algorithm 4, train/learning_pace.h).
struct PaceConfig { SM4_PACE_KEYS(SM4_CONFIG_MEMBER) };
// SM4's adaptive expert allocation (Algorithm 3, train/expert_allocation.h).
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

// The one typed configuration tree of sm4. Defaults live here, in the structs; the table of
// keys (names, descriptions, range checks) lives in config_schema.cpp; loading and printing in
// config_loader.cpp. Nothing else parses configuration.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace sm4 {

struct DataConfig {
    std::string root = "datasets";  // folder holding one <task>.h5 per task
    std::vector<std::string> tasks = {"fashion-mnist", "digits-av", "breast-cancer", "wine"};
    std::int64_t seed = 0;          // seed of every split and synthesis made by `preprocess`
    double val_fraction = 0.1;      // share of the training data held out for validation
    double test_fraction = 0.2;     // share held out for test when a source has no test split
};

struct DigitsAvConfig {
    std::vector<std::string> voices = {"en", "en-us", "en-gb-scotland", "en-gb-x-rp",
                                       "en-gb-x-gbclan", "en-gb-x-gbcwmd", "en-029"};
    std::vector<std::string> variants = {"m1", "m2", "m3", "m4", "m5", "m6", "m7",
                                         "f1", "f2", "f3", "f4", "f5"};
    std::int64_t rate_min = 130;    // words per minute
    std::int64_t rate_max = 220;
    std::int64_t pitch_min = 20;    // espeak-ng pitch, 0..99
    std::int64_t pitch_max = 80;
    double snr_min_db = 5.0;        // additive white noise, signal-to-noise ratio in dB
    double snr_max_db = 25.0;
    std::int64_t n_mels = 32;       // spectrogram height
    std::int64_t frames = 32;       // spectrogram width (one frame per hop of 512 samples)
};

struct AffectConfig {
    bool per_example_znorm = false;  // HighMMT: standardise each example's features over its steps
};

struct PreprocessConfig {
    DigitsAvConfig digits_av;
    AffectConfig affect;
};

struct ModelConfig {
    std::string backbone = "smoe";      // "dense" (HighMMT-like), "smoe" (vanilla sparse MoE) or "sm4"
    std::int64_t d_model = 64;
    std::int64_t layers = 2;            // transformer blocks shared by every task
    std::int64_t heads = 4;
    std::int64_t ffn_hidden = 128;      // hidden width of the dense feed-forward and of each expert
    double dropout = 0.1;
    std::int64_t patch_size = 0;        // image patches are patch_size x patch_size; 0: from image_grid
    std::int64_t image_grid = 4;        // patch_size 0: cut each image into about image_grid x image_grid patches
    std::string position = "learned";   // "learned" or "fourier" position features
    std::int64_t fourier_bands = 8;
    std::int64_t num_experts = 8;
    std::int64_t top_k = 2;
    std::int64_t moe_every = 1;         // blocks 1*moe_every, 2*moe_every, ... (1-based) use MoE
    double capacity_factor = 1.25;      // <= 0: no capacity limit, nothing dropped
    std::string group_by = "modality";  // sm4: one expert group per "modality" slot, or per "kind"
    std::vector<std::int64_t> group_experts;  // sm4: experts per group; empty: num_experts split evenly
    std::int64_t shared_experts = 0;    // sm4: experts every group can also route to
    bool noisy_gating = true;
    double balance_loss_weight = 0.01;  // weight of cv^2(importance) + cv^2(load)
    double router_z_loss_weight = 0.0;
    std::int64_t attention_experts = 0; // > 0: mixture of attention heads with that many head experts
    std::int64_t attention_top_k = 2;
};

struct TrainConfig {
    std::int64_t epochs = 5;
    std::int64_t steps_per_epoch = 0;   // 0: batches in the largest task's train split
    std::int64_t batch_size = 64;
    std::string sampling = "round_robin";  // "round_robin" (a batch of every task per step) or "proportional"
    std::vector<double> task_weights;   // one per data.tasks entry; empty: all 1
    std::string loss_weighting = "fixed";  // fixed (task_weights), equal, uncertainty, dwa, gradnorm
    double dwa_temperature = 2.0;
    double gradnorm_alpha = 1.5;
    bool pcgrad = false;                // PCGrad: project conflicting task gradients (fixed/equal weighting)
    double lr = 2e-3;
    double weight_decay = 1e-2;
    std::string schedule = "cosine";    // "cosine", "step" or "constant", after warm-up
    double warmup_fraction = 0.05;      // share of all steps spent warming up linearly
    std::int64_t step_every_epochs = 2; // "step" schedule: multiply lr by step_gamma every n epochs
    double step_gamma = 0.5;
    double grad_clip = 1.0;             // max global gradient norm; <= 0: no clipping
    std::int64_t seed = 0;
    std::int64_t threads = 0;           // 0: all cores
    std::string device = "cpu";         // "cpu" or "cuda"
    std::int64_t log_every = 10;        // steps between trace rows and train-metric rows
};

struct PaceConfig {
    bool enabled = false;               // adaptive learning pace (SM4's ALP)
    std::string apply = "lr";           // "lr": scale each group's learning rate; "loss": scale task
                                        // losses by their groups' mean; "both"
    double beta = 0.9;                  // moving-average factor of the entropy and of its change
    double gain = 1.0;                  // exponent on the relative rate of change
    double min = 0.5;                   // bounds of the multipliers
    double max = 2.0;
};

// SM4's adaptive expert allocation: before main training, a probe trains the sm4 model once per
// candidate count (every group with that many experts, the groups learning side by side), scores
// each group by the train and validation losses of the tasks that use it, and picks each
// group's count by `rule`. Runs only for backbone "sm4" with model.group_experts empty.
struct AeaConfig {
    bool enabled = false;
    std::vector<std::int64_t> candidates = {1, 2, 4, 8};  // expert counts tried per group
    std::int64_t budget = 0;            // most experts per layer over all groups; 0: no limit
    std::int64_t probe_steps = 0;       // steps per candidate; 0: one epoch shared by the candidates
    std::int64_t probe_train_examples = 2048;  // train examples per task scored after each probe
    std::string rule = "within_tolerance";  // "within_tolerance", "lowest_val" or "lowest_gap"
    double tolerance = 0.05;            // relative: val loss <= best * (1 + tolerance)
};

struct EvalConfig {
    std::string split = "test";
    std::int64_t batch_size = 512;
};

struct OutputConfig {
    std::string database = "results/sm4.db";
    std::string runs_dir = "results/runs";  // one folder per run: checkpoints and trace.h5
    std::string run_name;                   // empty: the name of the last config file
};

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

}  // namespace sm4

#include "core/config_schema.h"

#include <fmt/format.h>

#include <type_traits>
#include <variant>

#include "core/errors.h"

namespace sm4 {
namespace {

template <class T> constexpr ConfigType type_of();
template <> constexpr ConfigType type_of<bool>() { return ConfigType::Bool; }
template <> constexpr ConfigType type_of<std::int64_t>() { return ConfigType::Int; }
template <> constexpr ConfigType type_of<double>() { return ConfigType::Float; }
template <> constexpr ConfigType type_of<std::string>() { return ConfigType::String; }
template <> constexpr ConfigType type_of<std::vector<std::string>>() { return ConfigType::StringList; }
template <> constexpr ConfigType type_of<std::vector<std::int64_t>>() { return ConfigType::IntList; }
template <> constexpr ConfigType type_of<std::vector<double>>() { return ConfigType::FloatList; }

using Check = std::function<std::optional<std::string>(const ConfigValue&)>;

// A field reached through a getter of its section, so nested sections need no special case.
template <class Section, class T>
ConfigField field(std::string key, Section& (*section)(Config&), T Section::*member,
                  std::string description, Check check = {}) {
    ConfigField f;
    f.key = std::move(key);
    f.type = type_of<T>();
    f.description = std::move(description);
    f.get = [section, member](const Config& c) {
        return ConfigValue(section(const_cast<Config&>(c)).*member);
    };
    f.set = [section, member](Config& c, const ConfigValue& v) { section(c).*member = std::get<T>(v); };
    f.check = std::move(check);
    return f;
}

Check in_range(double lo, double hi) {
    return [lo, hi](const ConfigValue& v) -> std::optional<std::string> {
        const double x = std::holds_alternative<double>(v) ? std::get<double>(v)
                                                           : static_cast<double>(std::get<std::int64_t>(v));
        if (x < lo || x > hi) return fmt::format("a value in [{}, {}]", lo, hi);
        return std::nullopt;
    };
}

Check non_empty_list() {
    return [](const ConfigValue& v) -> std::optional<std::string> {
        const bool empty = std::visit(
            [](const auto& value) {
                if constexpr (std::is_same_v<std::decay_t<decltype(value)>, std::vector<std::string>> ||
                              std::is_same_v<std::decay_t<decltype(value)>, std::vector<std::int64_t>> ||
                              std::is_same_v<std::decay_t<decltype(value)>, std::vector<double>>)
                    return value.empty();
                else
                    return false;
            },
            v);
        if (empty) return "a non-empty list";
        return std::nullopt;
    };
}

DataConfig& data(Config& c) { return c.data; }
DigitsAvConfig& digits_av(Config& c) { return c.preprocess.digits_av; }
AffectConfig& affect(Config& c) { return c.preprocess.affect; }
ModelConfig& model(Config& c) { return c.model; }
TrainConfig& train(Config& c) { return c.train; }
EvalConfig& eval(Config& c) { return c.eval; }
PaceConfig& pace(Config& c) { return c.pace; }
AeaConfig& aea(Config& c) { return c.aea; }
OutputConfig& output(Config& c) { return c.output; }

Check one_of(std::vector<std::string> allowed) {
    return [allowed](const ConfigValue& v) -> std::optional<std::string> {
        for (const auto& a : allowed)
            if (std::get<std::string>(v) == a) return std::nullopt;
        std::string text = "one of";
        for (std::size_t i = 0; i < allowed.size(); ++i) text += (i ? ", \"" : " \"") + allowed[i] + "\"";
        return text;
    };
}

std::vector<ConfigField> make_fields() {
    return {
        field("data.root", data, &DataConfig::root,
              "Folder holding the canonical datasets, one <task>.h5 per task"),
        field("data.tasks", data, &DataConfig::tasks,
              "Tasks of the experiment, by dataset name (the file is <root>/<task>.h5)", non_empty_list()),
        field("data.seed", data, &DataConfig::seed,
              "Seed of every split and synthesis made by `sm4 preprocess`", in_range(0, 9.0e18)),
        field("data.val_fraction", data, &DataConfig::val_fraction,
              "Share of the training data held out as the validation split", in_range(0.0, 0.5)),
        field("data.test_fraction", data, &DataConfig::test_fraction,
              "Share of the data held out as the test split when the source has none", in_range(0.05, 0.5)),
        field("preprocess.digits_av.voices", digits_av, &DigitsAvConfig::voices,
              "espeak-ng voices the spoken digits are drawn from", non_empty_list()),
        field("preprocess.digits_av.variants", digits_av, &DigitsAvConfig::variants,
              "espeak-ng voice variants (m1..m7, f1..f5, ...) drawn per recording", non_empty_list()),
        field("preprocess.digits_av.rate_min", digits_av, &DigitsAvConfig::rate_min,
              "Slowest speaking rate, words per minute", in_range(80, 450)),
        field("preprocess.digits_av.rate_max", digits_av, &DigitsAvConfig::rate_max,
              "Fastest speaking rate, words per minute", in_range(80, 450)),
        field("preprocess.digits_av.pitch_min", digits_av, &DigitsAvConfig::pitch_min,
              "Lowest base pitch (espeak-ng scale 0..99)", in_range(0, 99)),
        field("preprocess.digits_av.pitch_max", digits_av, &DigitsAvConfig::pitch_max,
              "Highest base pitch (espeak-ng scale 0..99)", in_range(0, 99)),
        field("preprocess.digits_av.snr_min_db", digits_av, &DigitsAvConfig::snr_min_db,
              "Lowest signal-to-noise ratio of the additive white noise, dB", in_range(-20, 100)),
        field("preprocess.digits_av.snr_max_db", digits_av, &DigitsAvConfig::snr_max_db,
              "Highest signal-to-noise ratio of the additive white noise, dB", in_range(-20, 100)),
        field("preprocess.digits_av.n_mels", digits_av, &DigitsAvConfig::n_mels,
              "Mel bands of the log-mel spectrogram (its height)", in_range(8, 128)),
        field("preprocess.digits_av.frames", digits_av, &DigitsAvConfig::frames,
              "Frames of the log-mel spectrogram (its width; hop 512 samples at 22.05 kHz)", in_range(8, 128)),
        field("preprocess.affect.per_example_znorm", affect, &AffectConfig::per_example_znorm,
              "mosei, mosi, urfunny, mustard: standardise each example's features over its 50 steps, as HighMMT "
              "does for CMU-MOSEI (datasets/MULTIBENCH.md)"),

        field("model.backbone", model, &ModelConfig::backbone,
              "dense (HighMMT-like transformer), smoe (vanilla sparse MoE, one shared router per layer) or sm4 "
              "(one router and expert group per modality)",
              one_of({"dense", "smoe", "sm4"})),
        field("model.d_model", model, &ModelConfig::d_model, "Token width", in_range(8, 4096)),
        field("model.layers", model, &ModelConfig::layers, "Transformer blocks shared by all tasks", in_range(1, 64)),
        field("model.heads", model, &ModelConfig::heads, "Attention heads (must divide d_model)", in_range(1, 64)),
        field("model.ffn_hidden", model, &ModelConfig::ffn_hidden,
              "Hidden width of the dense feed-forward and of each expert", in_range(4, 65536)),
        field("model.dropout", model, &ModelConfig::dropout, "Dropout after attention and feed-forward", in_range(0, 0.9)),
        field("model.patch_size", model, &ModelConfig::patch_size,
              "Side of the square patches images are cut into (capped at the image side); 0 = from image_grid",
              in_range(0, 1024)),
        field("model.image_grid", model, &ModelConfig::image_grid,
              "With patch_size 0: patch side = ceil(side / image_grid), so every image gives about "
              "image_grid^2 tokens whatever its size",
              in_range(1, 256)),
        field("model.position", model, &ModelConfig::position, "Position features: learned or fourier (HighMMT)",
              one_of({"learned", "fourier"})),
        field("model.fourier_bands", model, &ModelConfig::fourier_bands, "Frequency bands of Fourier position features",
              in_range(1, 64)),
        field("model.num_experts", model, &ModelConfig::num_experts, "Experts per MoE layer", in_range(1, 1024)),
        field("model.top_k", model, &ModelConfig::top_k, "Experts each token is sent to", in_range(1, 1024)),
        field("model.moe_every", model, &ModelConfig::moe_every,
              "Every n-th block (n, 2n, ...) has MoE instead of the dense feed-forward", in_range(1, 64)),
        field("model.capacity_factor", model, &ModelConfig::capacity_factor,
              "Expert capacity = factor * tokens * top_k / experts; <= 0 drops nothing", in_range(-1, 1000)),
        field("model.group_by", model, &ModelConfig::group_by,
              "sm4: one expert group per modality slot (task/modality), or per modality kind",
              one_of({"modality", "kind"})),
        field("model.group_experts", model, &ModelConfig::group_experts,
              "sm4: experts owned by each group, in group order; empty = num_experts split evenly"),
        field("model.shared_experts", model, &ModelConfig::shared_experts,
              "sm4: experts open to every group besides its own", in_range(0, 1024)),
        field("model.noisy_gating", model, &ModelConfig::noisy_gating,
              "Noisy top-k gating (Shazeer et al. 2017) while training"),
        field("model.balance_loss_weight", model, &ModelConfig::balance_loss_weight,
              "Weight of the importance + load balancing loss (cv^2 of each)", in_range(0, 100)),
        field("model.router_z_loss_weight", model, &ModelConfig::router_z_loss_weight,
              "Weight of the router z-loss (mean squared log-sum-exp of router logits)", in_range(0, 100)),
        field("model.attention_experts", model, &ModelConfig::attention_experts,
              "Mixture of attention heads: head experts per attention layer; 0 = ordinary attention",
              in_range(0, 256)),
        field("model.attention_top_k", model, &ModelConfig::attention_top_k,
              "Attention-head experts each token uses", in_range(1, 256)),

        field("train.epochs", train, &TrainConfig::epochs, "Epochs", in_range(1, 100000)),
        field("train.steps_per_epoch", train, &TrainConfig::steps_per_epoch,
              "Steps per epoch; 0 = batches in the largest task's train split", in_range(0, 1e9)),
        field("train.batch_size", train, &TrainConfig::batch_size, "Examples per task per batch", in_range(1, 65536)),
        field("train.sampling", train, &TrainConfig::sampling,
              "round_robin: one batch of every task per step (HighMMT); proportional: one task per step, "
              "drawn in proportion to its size",
              one_of({"round_robin", "proportional"})),
        field("train.task_weights", train, &TrainConfig::task_weights,
              "Loss weight of each task, in data.tasks order; empty = all 1"),
        field("train.loss_weighting", train, &TrainConfig::loss_weighting,
              "How task losses combine: fixed (train.task_weights, HighMMT), equal, uncertainty (Kendall et al.), "
              "dwa (Liu et al.) or gradnorm (Chen et al.)",
              one_of({"fixed", "equal", "uncertainty", "dwa", "gradnorm"})),
        field("train.dwa_temperature", train, &TrainConfig::dwa_temperature, "dwa: softmax temperature",
              in_range(1e-3, 1e3)),
        field("train.gradnorm_alpha", train, &TrainConfig::gradnorm_alpha, "gradnorm: restoring-force strength alpha",
              in_range(0, 10)),
        field("train.pcgrad", train, &TrainConfig::pcgrad,
              "PCGrad (Yu et al.): project each task's gradient off those of tasks it conflicts with; needs "
              "loss_weighting fixed or equal"),
        field("train.lr", train, &TrainConfig::lr, "Peak learning rate (AdamW)", in_range(0, 10)),
        field("train.weight_decay", train, &TrainConfig::weight_decay, "AdamW weight decay", in_range(0, 10)),
        field("train.schedule", train, &TrainConfig::schedule, "Learning-rate schedule after warm-up",
              one_of({"cosine", "step", "constant"})),
        field("train.warmup_fraction", train, &TrainConfig::warmup_fraction,
              "Share of all steps with a linear warm-up", in_range(0, 0.9)),
        field("train.step_every_epochs", train, &TrainConfig::step_every_epochs,
              "step schedule: epochs between learning-rate drops", in_range(1, 100000)),
        field("train.step_gamma", train, &TrainConfig::step_gamma, "step schedule: factor at each drop", in_range(0, 1)),
        field("train.grad_clip", train, &TrainConfig::grad_clip, "Max global gradient norm; <= 0 = no clipping",
              in_range(-1, 1e9)),
        field("train.seed", train, &TrainConfig::seed, "Seed of initialisation, sampling, dropout and gating noise",
              in_range(0, 9.0e18)),
        field("train.threads", train, &TrainConfig::threads, "CPU threads; 0 = all cores", in_range(0, 1024)),
        field("train.device", train, &TrainConfig::device, "cpu or cuda", one_of({"cpu", "cuda"})),
        field("train.log_every", train, &TrainConfig::log_every, "Steps between trace rows and logged train metrics",
              in_range(1, 1e9)),

        field("pace.enabled", pace, &PaceConfig::enabled,
              "Adaptive learning pace: per-modality-group multipliers from the routing entropy's rate of change"),
        field("pace.apply", pace, &PaceConfig::apply,
              "lr: scale each group's learning rate; loss: scale each task's loss by its groups' mean; both",
              one_of({"lr", "loss", "both"})),
        field("pace.beta", pace, &PaceConfig::beta, "Moving-average factor of the entropy and of its change",
              in_range(0, 0.999)),
        field("pace.gain", pace, &PaceConfig::gain, "Exponent on a group's relative rate of change", in_range(0, 10)),
        field("pace.min", pace, &PaceConfig::min, "Lowest multiplier", in_range(0.01, 1)),
        field("pace.max", pace, &PaceConfig::max, "Highest multiplier", in_range(1, 100)),

        field("aea.enabled", aea, &AeaConfig::enabled,
              "Adaptive expert allocation (sm4 backbone, model.group_experts empty): probe expert counts per "
              "modality group before training"),
        field("aea.candidates", aea, &AeaConfig::candidates, "Expert counts the probe tries for every group",
              non_empty_list()),
        field("aea.budget", aea, &AeaConfig::budget,
              "Most experts per layer over all groups; 0 = no limit (over it, the largest groups step down)",
              in_range(0, 1e6)),
        field("aea.probe_steps", aea, &AeaConfig::probe_steps,
              "Training steps per candidate; 0 = one epoch's steps shared by the candidates", in_range(0, 1e9)),
        field("aea.probe_train_examples", aea, &AeaConfig::probe_train_examples,
              "Train examples per task scored for the probe's train loss", in_range(1, 1e9)),
        field("aea.rule", aea, &AeaConfig::rule,
              "within_tolerance: smallest count whose val loss is within aea.tolerance of the best; lowest_val; "
              "lowest_gap: smallest val-train gap among those within tolerance",
              one_of({"within_tolerance", "lowest_val", "lowest_gap"})),
        field("aea.tolerance", aea, &AeaConfig::tolerance, "Relative tolerance on the best validation loss",
              in_range(0, 10)),

        field("eval.split", eval, &EvalConfig::split, "Split sm4 eval scores", one_of({"train", "val", "test"})),
        field("eval.batch_size", eval, &EvalConfig::batch_size, "Examples per evaluation batch", in_range(1, 1e6)),

        field("output.database", output, &OutputConfig::database, "SQLite results database"),
        field("output.runs_dir", output, &OutputConfig::runs_dir, "Folder of run folders (checkpoints, trace.h5)"),
        field("output.run_name", output, &OutputConfig::run_name, "Run name; empty = the last config file's name"),
    };
}

void require_ordered(double lo, double hi, const char* lo_key, const char* hi_key) {
    if (lo > hi) throw ConfigError(fmt::format("{} ({}) must not exceed {} ({})", lo_key, lo, hi_key, hi));
}

}  // namespace

std::string type_name(ConfigType type) {
    switch (type) {
        case ConfigType::Bool: return "boolean";
        case ConfigType::Int: return "integer";
        case ConfigType::Float: return "number";
        case ConfigType::String: return "string";
        case ConfigType::StringList: return "list of strings";
        case ConfigType::IntList: return "list of integers";
        case ConfigType::FloatList: return "list of numbers";
    }
    return "?";
}

const std::vector<ConfigField>& config_fields() {
    static const std::vector<ConfigField> fields = make_fields();
    return fields;
}

const ConfigField* find_config_field(const std::string& key) {
    for (const auto& f : config_fields())
        if (f.key == key) return &f;
    return nullptr;
}

void validate_config(const Config& c) {
    const auto& m = c.model;
    if (m.d_model % m.heads != 0)
        throw ConfigError(fmt::format("model.heads ({}) must divide model.d_model ({})", m.heads, m.d_model));
    if (m.top_k > m.num_experts)
        throw ConfigError(fmt::format("model.top_k ({}) must not exceed model.num_experts ({})", m.top_k, m.num_experts));
    if (m.attention_experts > 0 && m.attention_top_k > m.attention_experts)
        throw ConfigError(fmt::format("model.attention_top_k ({}) must not exceed model.attention_experts ({})",
                                      m.attention_top_k, m.attention_experts));
    if (!c.train.task_weights.empty() && c.train.task_weights.size() != c.data.tasks.size())
        throw ConfigError(fmt::format("train.task_weights has {} weights for the {} tasks of data.tasks",
                                      c.train.task_weights.size(), c.data.tasks.size()));
    if (c.train.pcgrad && c.train.loss_weighting != "fixed" && c.train.loss_weighting != "equal")
        throw ConfigError(fmt::format("train.pcgrad needs train.loss_weighting \"fixed\" or \"equal\", not \"{}\" "
                                      "(its weights are learned from the summed loss)",
                                      c.train.loss_weighting));
    for (auto n : c.aea.candidates)
        if (n < 1) throw ConfigError(fmt::format("aea.candidates: every candidate needs at least 1 expert, found {}", n));
    const auto& d = c.preprocess.digits_av;
    require_ordered(d.rate_min, d.rate_max, "preprocess.digits_av.rate_min", "preprocess.digits_av.rate_max");
    require_ordered(d.pitch_min, d.pitch_max, "preprocess.digits_av.pitch_min", "preprocess.digits_av.pitch_max");
    require_ordered(d.snr_min_db, d.snr_max_db, "preprocess.digits_av.snr_min_db", "preprocess.digits_av.snr_max_db");
}

}  // namespace sm4

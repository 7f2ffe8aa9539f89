// The input to sequence step of every backbone (the paper's Algorithm 1, A.1; HighMMT's tokens,
// docs/highmmt.md): a modality's examples become tokens by its rule (one per element, step, pixel
// or patch), each token's channels zero-padded to the widest modality of the model, then per-axis
// Fourier position features and a one-hot modality code, as pliang279/HighMMT's
// crossattnperceiver.py builds them. This file decides each modality's layout from its shape and
// model.token_rules (no LibTorch).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/config.h"
#include "model/task_spec.h"

namespace sm4 {

// How one example of a modality becomes tokens.
//   pixels     [C, H, W] -> H*W tokens of C channels, axes (H, W)      (images, HighMMT's HWC input)
//   steps      [T, D]    -> T tokens of D channels, axis (T)           (sequences, time series)
//   elements   any shape -> one token per scalar, one axis per dim      (tables, PUSH's image sequence)
//   one        any shape -> one token of every value, one axis of 1     (V&T's proprio and action)
//   flatten    any shape -> one token per scalar on a single axis       (medium AV-MNIST audio)
//   patches=P  [C, H, W] -> (H/P)*(W/P) tokens of C*P*P channels        (AV-MNIST's 4x4 and 16x16 squares)
//   patches=HxW [C, H', W'] -> (H'/H)*(W'/W) tokens of C*H*W channels   (ENRICO's 16x8 rectangles, Table 16)
enum class TokenRule { Pixels, Steps, Elements, One, Flatten, Patches };

struct TokenLayout {
    std::string slot;                  // "task/modality"
    TokenRule rule = TokenRule::Elements;
    std::int64_t patch_rows = 0;       // patches: block height
    std::int64_t patch_cols = 0;       // patches: block width
    std::vector<std::int64_t> axes;    // index dims of the token grid (row-major order)
    std::int64_t channels = 0;         // raw values per token
    std::int64_t bands = 0;            // Fourier bands K
    double max_freq = 1.0;
    std::string code;                  // modality code name (slots sharing a name share the one-hot)
    std::int64_t code_index = 0;

    std::int64_t tokens() const;
    // Channels before padding: raw values, then axes * (2 * bands + 1) position features.
    std::int64_t input_dim() const { return channels + static_cast<std::int64_t>(axes.size()) * (2 * bands + 1); }
};

struct TokenLayouts {
    std::vector<std::vector<TokenLayout>> tasks;  // per task, per modality in the task's order
    std::int64_t codes = 0;                       // one-hot length
    std::int64_t width = 0;                       // token width: max input_dim + codes
};

// The layouts of every modality of `tasks` under `config` (model.token_rules, fourier_bands,
// max_freq, modality_codes, max_tokens). Throws ConfigError naming the key for a rule that does
// not parse or fit its modality, an unknown slot, too few codes, or a modality over max_tokens.
TokenLayouts token_layouts(const ModelConfig& config, const std::vector<TaskSpec>& tasks);

// HighMMT's Fourier frequencies: 2 ** linspace(1, log2(max_freq / 2), bands) (they decrease when
// max_freq < 4, and are all 2 at max_freq 4, as in the fork of perceiver-pytorch it uses).
std::vector<double> fourier_frequencies(std::int64_t bands, double max_freq);

// The fixed part of every token of a modality, [tokens, width - channels] row-major: zero padding,
// then per axis (axis-major) sin(pi f p) for every band, cos(pi f p) for every band and p itself
// (p = linspace(-1, 1, size) of the axis; -1 for an axis of 1), then the one-hot code.
std::vector<float> token_tail(const TokenLayout& layout, const TokenLayouts& model);

std::string token_rule_name(const TokenLayout& layout);

}  // namespace sm4

#include "model/tokens/token_layout.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <map>
#include <numeric>
#include <sstream>

#include "core/errors.h"
#include "core/json.h"
#include "core/text.h"

namespace sm4 {
namespace {

constexpr const char* kRulesKey = "model.token_rules";

std::int64_t product(const std::vector<std::int64_t>& v) {
    return std::accumulate(v.begin(), v.end(), std::int64_t{1}, std::multiplies<>());
}

// One entry of model.token_rules, parsed: "task/modality: rule [bands=K] [max_freq=F] [code=NAME]".
struct RuleEntry {
    std::string slot;
    TokenRule rule = TokenRule::Elements;
    std::int64_t patch_rows = 0, patch_cols = 0;
    std::int64_t bands = 0;       // 0: model.fourier_bands
    double max_freq = 0;          // 0: model.max_freq
    std::string code;             // "": the slot
};

std::string join_numbers(const std::vector<std::int64_t>& v) {
    std::vector<std::string> parts;
    for (auto x : v) parts.push_back(std::to_string(x));
    return join(parts, ", ");
}

[[noreturn]] void bad_rule(const std::string& entry, const std::string& why) {
    throw ConfigError(fmt::format("{}: {}: {}", kRulesKey, json_quote(entry), why));
}

double parse_number(const std::string& entry, const std::string& text, const std::string& what) {
    char* end = nullptr;
    const double v = std::strtod(text.c_str(), &end);
    if (text.empty() || *end != '\0' || !std::isfinite(v) || v <= 0)
        bad_rule(entry, fmt::format("{} must be a positive number, found {}", what, json_quote(text)));
    return v;
}

std::int64_t parse_count(const std::string& entry, const std::string& text, const std::string& what) {
    const double v = parse_number(entry, text, what);
    if (v != std::floor(v) || v > 4096) bad_rule(entry, fmt::format("{} must be a whole number in [1, 4096], found {}", what, json_quote(text)));
    return static_cast<std::int64_t>(v);
}

RuleEntry parse_entry(const std::string& entry) {
    const auto colon = entry.find(':');
    if (colon == std::string::npos) bad_rule(entry, "expected \"task/modality: rule [bands=K] [max_freq=F] [code=NAME]\"");
    RuleEntry r;
    r.slot = std::string(trim(entry.substr(0, colon)));
    if (r.slot.find('/') == std::string::npos) bad_rule(entry, "the slot must be \"task/modality\"");
    std::istringstream words(entry.substr(colon + 1));
    std::string word;
    bool have_rule = false;
    while (words >> word) {
        const auto eq = word.find('=');
        const std::string name = word.substr(0, eq), value = eq == std::string::npos ? "" : word.substr(eq + 1);
        if (!have_rule) {
            have_rule = true;
            if (name == "pixels") r.rule = TokenRule::Pixels;
            else if (name == "steps") r.rule = TokenRule::Steps;
            else if (name == "elements") r.rule = TokenRule::Elements;
            else if (name == "one") r.rule = TokenRule::One;
            else if (name == "flatten") r.rule = TokenRule::Flatten;
            else if (name == "patches") {
                r.rule = TokenRule::Patches;
                // P (square) or HxW (rectangles of H rows and W columns, ENRICO's 16x8)
                const auto x = value.find('x');
                r.patch_rows = parse_count(entry, value.substr(0, x), "patches");
                r.patch_cols = x == std::string::npos ? r.patch_rows : parse_count(entry, value.substr(x + 1), "patches");
            } else {
                bad_rule(entry, fmt::format("unknown rule {} (expected pixels, steps, elements, one, flatten, patches=P or "
                                            "patches=HxW)",
                                            json_quote(name)));
            }
            if (r.rule != TokenRule::Patches && eq != std::string::npos) bad_rule(entry, fmt::format("rule {} takes no value", name));
            continue;
        }
        if (name == "bands") r.bands = parse_count(entry, value, "bands");
        else if (name == "max_freq") r.max_freq = parse_number(entry, value, "max_freq");
        else if (name == "code" && !value.empty()) r.code = value;
        else bad_rule(entry, fmt::format("unknown option {} (expected bands=K, max_freq=F or code=NAME)", json_quote(word)));
    }
    if (!have_rule) bad_rule(entry, "no rule after the colon");
    return r;
}

TokenRule default_rule(const ModalitySpec& m) {
    if (m.shape.size() == 3) return TokenRule::Pixels;
    if (m.shape.size() == 2) return TokenRule::Steps;
    return TokenRule::Elements;
}

// Fills axes and channels of `layout` from the modality's shape under its rule.
void shape_layout(TokenLayout& layout, const ModalitySpec& m) {
    const auto& s = m.shape;
    auto refuse = [&](const std::string& expected) {
        throw ConfigError(fmt::format("{}: rule {} for {} needs {}, but its examples are [{}]", kRulesKey, token_rule_name(layout),
                                      layout.slot, expected, join_numbers(s)));
    };
    if (s.empty()) refuse("a shape with at least one axis");
    switch (layout.rule) {
    case TokenRule::Pixels:
        if (s.size() != 3) refuse("[C, H, W]");
        layout.axes = {s[1], s[2]};
        layout.channels = s[0];
        break;
    case TokenRule::Steps:
        if (s.size() != 2) refuse("[T, D]");
        layout.axes = {s[0]};
        layout.channels = s[1];
        break;
    case TokenRule::Elements:
        layout.axes = s;
        layout.channels = 1;
        break;
    case TokenRule::One:
        layout.axes = {1};
        layout.channels = product(s);
        break;
    case TokenRule::Flatten:
        layout.axes = {product(s)};
        layout.channels = 1;
        break;
    case TokenRule::Patches:
        if (s.size() != 3 || s[1] % layout.patch_rows != 0 || s[2] % layout.patch_cols != 0)
            refuse(fmt::format("[C, H, W] with H a multiple of {} and W a multiple of {}", layout.patch_rows,
                               layout.patch_cols));
        layout.axes = {s[1] / layout.patch_rows, s[2] / layout.patch_cols};
        layout.channels = s[0] * layout.patch_rows * layout.patch_cols;
        break;
    }
}

}  // namespace

std::int64_t TokenLayout::tokens() const { return product(axes); }

std::string token_rule_name(const TokenLayout& layout) {
    switch (layout.rule) {
    case TokenRule::Pixels: return "pixels";
    case TokenRule::Steps: return "steps";
    case TokenRule::Elements: return "elements";
    case TokenRule::One: return "one";
    case TokenRule::Flatten: return "flatten";
    case TokenRule::Patches:
        if (layout.patch_rows == layout.patch_cols) return fmt::format("patches={}", layout.patch_rows);
        return fmt::format("patches={}x{}", layout.patch_rows, layout.patch_cols);
    }
    return "";
}

TokenLayouts token_layouts(const ModelConfig& config, const std::vector<TaskSpec>& tasks) {
    std::map<std::string, RuleEntry> rules;
    for (const auto& text : config.token_rules) {
        RuleEntry entry = parse_entry(text);
        if (!rules.emplace(entry.slot, entry).second) bad_rule(text, fmt::format("{} has a rule already", entry.slot));
    }
    TokenLayouts out;
    std::map<std::string, std::int64_t> codes;
    std::vector<std::string> slots;
    std::int64_t widest = 0;
    for (const auto& task : tasks) {
        out.tasks.emplace_back();
        for (const auto& m : task.modalities) {
            TokenLayout layout;
            layout.slot = task.name + "/" + m.name;
            slots.push_back(layout.slot);
            layout.rule = default_rule(m);
            layout.bands = config.fourier_bands;
            layout.max_freq = config.max_freq;
            layout.code = layout.slot;
            if (const auto it = rules.find(layout.slot); it != rules.end()) {
                const RuleEntry& r = it->second;
                layout.rule = r.rule;
                layout.patch_rows = r.patch_rows;
                layout.patch_cols = r.patch_cols;
                if (r.bands > 0) layout.bands = r.bands;
                if (r.max_freq > 0) layout.max_freq = r.max_freq;
                if (!r.code.empty()) layout.code = r.code;
            }
            shape_layout(layout, m);
            if (layout.tokens() > config.max_tokens)
                throw ConfigError(fmt::format("model.max_tokens: {} gives {} tokens per example ({} of [{}]), more than {} "
                                              "(raise model.max_tokens, or cut it into blocks with a patches=P rule in {})",
                                              layout.slot, layout.tokens(), token_rule_name(layout), join_numbers(m.shape),
                                              config.max_tokens, kRulesKey));
            layout.code_index = codes.emplace(layout.code, static_cast<std::int64_t>(codes.size())).first->second;
            widest = std::max(widest, layout.input_dim());
            out.tasks.back().push_back(layout);
        }
        if (config.backbone == Backbone::HighMmt && task.modalities.size() == 1 &&
            config.single_modality == SingleModality::Refuse)
            throw ConfigError(fmt::format("model.single_modality: task {} has one modality, so no modality pair for the "
                                          "cross-modal stage, and \"refuse\" gives it no head input (use flatten or mean)",
                                          task.name));
    }
    for (const auto& [slot, entry] : rules)
        if (std::find(slots.begin(), slots.end(), slot) == slots.end())
            throw ConfigError(fmt::format("{}: no modality {} among the tasks' modalities ({})", kRulesKey, slot, join(slots, ", ")));
    const auto distinct = static_cast<std::int64_t>(codes.size());
    if (config.modality_codes > 0 && config.modality_codes < distinct)
        throw ConfigError(fmt::format("model.modality_codes ({}) is less than the {} distinct modality codes of the tasks",
                                      config.modality_codes, distinct));
    out.codes = config.modality_codes > 0 ? config.modality_codes : distinct;
    out.width = widest + out.codes;
    return out;
}

std::vector<double> fourier_frequencies(std::int64_t bands, double max_freq) {
    const double first = 1.0, last = std::log2(max_freq / 2.0);
    std::vector<double> f(static_cast<std::size_t>(bands));
    for (std::int64_t k = 0; k < bands; ++k) {
        const double t = bands == 1 ? 0.0 : static_cast<double>(k) / static_cast<double>(bands - 1);
        f[static_cast<std::size_t>(k)] = std::pow(2.0, first + (last - first) * t);
    }
    return f;
}

std::vector<float> token_tail(const TokenLayout& layout, const TokenLayouts& model) {
    const std::int64_t tail = model.width - layout.channels, tokens = layout.tokens();
    const std::int64_t pad = model.width - model.codes - layout.input_dim();
    const std::int64_t per_axis = 2 * layout.bands + 1;
    const auto f = fourier_frequencies(layout.bands, layout.max_freq);
    std::vector<float> out(static_cast<std::size_t>(tail * tokens), 0.0f);
    std::vector<std::int64_t> index(layout.axes.size(), 0);
    for (std::int64_t t = 0; t < tokens; ++t) {
        float* row = out.data() + t * tail;
        for (std::size_t a = 0; a < layout.axes.size(); ++a) {
            const std::int64_t size = layout.axes[a];
            // torch.linspace(-1, 1, size): start + i * step, the last value exactly 1
            const double p = size == 1 ? -1.0 : -1.0 + 2.0 * static_cast<double>(index[a]) / static_cast<double>(size - 1);
            float* block = row + pad + static_cast<std::int64_t>(a) * per_axis;
            for (std::int64_t k = 0; k < layout.bands; ++k) {
                const double phase = M_PI * f[static_cast<std::size_t>(k)] * p;
                block[k] = static_cast<float>(std::sin(phase));
                block[layout.bands + k] = static_cast<float>(std::cos(phase));
            }
            block[2 * layout.bands] = static_cast<float>(p);
        }
        row[tail - model.codes + layout.code_index] = 1.0f;
        for (std::size_t a = layout.axes.size(); a-- > 0;) {  // row-major: the last axis fastest
            if (++index[a] < layout.axes[a]) break;
            index[a] = 0;
        }
    }
    return out;
}

}  // namespace sm4

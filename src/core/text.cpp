#include "core/text.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace sm4 {

std::size_t edit_distance(std::string_view a, std::string_view b) {
    std::vector<std::size_t> row(b.size() + 1);
    for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
    for (std::size_t i = 1; i <= a.size(); ++i) {
        std::size_t diagonal = row[0];
        row[0] = i;
        for (std::size_t j = 1; j <= b.size(); ++j) {
            const std::size_t above = row[j];
            const std::size_t substitution = diagonal + (a[i - 1] == b[j - 1] ? 0 : 1);
            row[j] = std::min({above + 1, row[j - 1] + 1, substitution});
            diagonal = above;
        }
    }
    return row[b.size()];
}

std::string closest_match(std::string_view name, const std::vector<std::string>& candidates) {
    std::string best;
    std::size_t best_distance = static_cast<std::size_t>(-1);
    for (const auto& candidate : candidates) {
        const std::size_t distance = edit_distance(name, candidate);
        if (distance < best_distance) {
            best_distance = distance;
            best = candidate;
        }
    }
    return best;
}

std::string did_you_mean(std::string_view name, const std::vector<std::string>& candidates) {
    const std::string best = closest_match(name, candidates);
    if (best.empty()) return "";
    // A suggestion more than half the name away is noise, not help.
    if (edit_distance(name, best) * 2 > std::max(name.size(), best.size())) return "";
    return " (did you mean '" + best + "'?)";
}

std::vector<std::string> split(std::string_view text, char separator) {
    std::vector<std::string> parts;
    std::size_t start = 0;
    while (true) {
        const std::size_t end = text.find(separator, start);
        parts.emplace_back(text.substr(start, end == std::string_view::npos ? text.npos : end - start));
        if (end == std::string_view::npos) break;
        start = end + 1;
    }
    return parts;
}

std::string si_count(double value) {
    const double magnitude = std::fabs(value);
    const auto scaled = [&](double unit, const char* suffix) {
        const double v = value / unit;
        const int decimals = std::fabs(v) >= 100 ? 0 : std::fabs(v) >= 10 ? 1 : 2;
        return fmt::format("{:.{}f} {}", v, decimals, suffix);
    };
    if (magnitude >= 1e12) return scaled(1e12, "T");
    if (magnitude >= 1e9) return scaled(1e9, "G");
    if (magnitude >= 1e6) return scaled(1e6, "M");
    if (magnitude >= 1e3) return scaled(1e3, "k");
    return fmt::format("{:.0f}", value);
}

std::string_view trim(std::string_view text) {
    const auto first = text.find_first_not_of(" \t\r\n");
    if (first == std::string_view::npos) return {};
    const auto last = text.find_last_not_of(" \t\r\n");
    return text.substr(first, last - first + 1);
}

std::string join(const std::vector<std::string>& parts, std::string_view separator) {
    std::string out;
    for (std::size_t i = 0; i < parts.size(); ++i) {
        if (i) out += separator;
        out += parts[i];
    }
    return out;
}

}  // namespace sm4

#include "report/report_adaptive.h"

#include <algorithm>
#include <cmath>
#include <functional>

namespace sm4 {
namespace {

constexpr Marker kSlotMarkers[] = {Marker::Square, Marker::Cross, Marker::Diamond, Marker::Plus};

// One series per slot (first-seen order) of value(row) over the epochs; slots that coincide stay
// visible: earlier ones drawn wider, each with its own marker.
LineChart by_slot(const std::vector<ModalityEpochRecord>& rows, const std::string& title, const std::string& y_label,
                  const std::function<double(const ModalityEpochRecord&)>& value) {
    LineChart chart{title, "epoch", y_label, {}};
    for (const auto& r : rows) {
        auto at = std::find_if(chart.series.begin(), chart.series.end(), [&](const LineSeries& s) { return s.name == r.slot; });
        if (at == chart.series.end()) at = chart.series.insert(chart.series.end(), LineSeries{r.slot, {}, {}});
        at->x.push_back(static_cast<double>(r.epoch));
        at->y.push_back(value(r));
    }
    const auto n = static_cast<int>(chart.series.size());
    for (int j = 0; j < n; ++j) {
        chart.series[static_cast<std::size_t>(j)].marker = kSlotMarkers[static_cast<std::size_t>(j) % std::size(kSlotMarkers)];
        chart.series[static_cast<std::size_t>(j)].width = 2 + 2 * std::min(n - 1 - j, 3);
    }
    return chart;
}

}  // namespace

std::optional<LineChart> top_k_chart(const std::vector<ModalityEpochRecord>& rows, const std::string& subject) {
    if (rows.empty()) return std::nullopt;
    LineChart chart = by_slot(rows, "AEA: experts activated per token (k), " + subject, "k",
                              [](const ModalityEpochRecord& r) { return static_cast<double>(r.top_k); });
    const bool moved = std::any_of(chart.series.begin(), chart.series.end(), [](const LineSeries& s) {
        return std::any_of(s.y.begin(), s.y.end(), [&](double v) { return v != s.y.front(); });
    });
    if (!moved) return std::nullopt;
    return chart;
}

std::optional<LineChart> pace_weight_chart(const std::vector<ModalityEpochRecord>& rows, const std::string& subject) {
    if (std::all_of(rows.begin(), rows.end(), [](const ModalityEpochRecord& r) { return r.pace_weight == 1.0; }))
        return std::nullopt;
    return by_slot(rows, "ALP: learning-rate weight per modality, " + subject, "weight",
                   [](const ModalityEpochRecord& r) { return r.pace_weight; });
}

std::optional<LineChart> generalisation_gap_chart(const std::vector<ModalityEpochRecord>& rows, const std::string& subject) {
    const auto gap = [](const ModalityEpochRecord& r) { return r.val_loss - r.train_loss; };
    if (std::none_of(rows.begin(), rows.end(), [&](const ModalityEpochRecord& r) { return std::isfinite(gap(r)); }))
        return std::nullopt;
    return by_slot(rows, "Generalisation gap per modality (val loss - train loss), " + subject, "gap", gap);
}

}  // namespace sm4

#include "report/report_plots.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <fstream>
#include <iterator>

#include "core/atomic_file.h"
#include "core/errors.h"
#include "report/plot_raster.h"
#include "report/plot_svg.h"
#include "report/report_adaptive.h"
#include "report/report_curves.h"

namespace sm4 {
namespace {

constexpr Marker kPaceMarkers[] = {Marker::Square, Marker::Cross, Marker::Diamond, Marker::Plus};

std::vector<double> steps_of(const TraceData& trace) { return {trace.steps.begin(), trace.steps.end()}; }

std::string file_safe(const std::string& name) {
    std::string out;
    for (char ch : name) out += std::isalnum(static_cast<unsigned char>(ch)) || ch == '-' || ch == '.' ? ch : '_';
    return out;
}

template <typename Chart>
void save_any(const Chart& chart, const std::filesystem::path& path, PlotFormat format) {
    const ChartSize size = chart_size(chart);
    if (format == PlotFormat::Png) {
        RasterPainter painter(size.width, size.height);
        draw_chart(chart, painter);
        painter.save_png(path);
        return;
    }
    SvgPainter painter(size.width, size.height);
    draw_chart(chart, painter);
    write_text_file(path, painter.finish());
}

// AEA's k, ALP's weights and the generalisation gap per slot over the epochs (modality_epochs).
void write_adaptive_plots(const ReportRun& r, const std::string& stem, const std::string& extension, PlotFormat format,
                          std::vector<std::string>& notes) {
    const std::string subject = fmt::format("run {} ({})", r.run.id, r.method);
    if (r.modality_epochs.empty()) return;  // AEA, ALP and train.modality_records off: nothing recorded
    if (auto chart = top_k_chart(r.modality_epochs, subject)) save_chart(*chart, stem + "aea-k" + extension, format);
    else notes.push_back(fmt::format("no AEA plot for run {}: no slot's k moved ({})", r.run.id,
                                     "aea.enabled false, or every validation loss kept falling"));
    if (auto chart = pace_weight_chart(r.modality_epochs, subject)) save_chart(*chart, stem + "alp-weights" + extension, format);
    if (auto chart = generalisation_gap_chart(r.modality_epochs, subject)) save_chart(*chart, stem + "gap" + extension, format);
}

}  // namespace

void write_text_file(const std::filesystem::path& path, const std::string& text) {
    AtomicFile output(path);
    std::ofstream out(output.temp_path(), std::ios::binary);
    out << text;
    out.close();
    if (!out) throw IoError(fmt::format("{}: cannot write", path.string()));
    output.commit();
}

std::optional<LineChart> entropy_chart(const TraceData& trace, const std::string& subject) {
    if (!trace.has("routing/entropy")) return std::nullopt;
    const TraceArray& entropy = trace.series.at("routing/entropy");
    const std::int64_t layers = entropy.row_shape.at(0), slots = entropy.row_shape.at(1);
    LineChart chart{"Routing entropy per modality, " + subject, "step", "entropy / log(experts), mean over layers", {}};
    for (std::int64_t j = 0; j < slots; ++j) {
        const auto& names = trace.axis("modalities");
        LineSeries s{j < static_cast<std::int64_t>(names.size()) ? names[j] : fmt::format("modality {}", j), steps_of(trace), {}};
        for (std::int64_t row = 0; row < trace.rows(); ++row) {
            double sum = 0.0;
            int count = 0;
            for (std::int64_t l = 0; l < layers; ++l) {
                const float v = entropy.at(row, l * slots + j);
                if (std::isfinite(v)) sum += v, ++count;  // NaN: no token of the slot reached that layer's router
            }
            s.y.push_back(count ? sum / count : std::nan(""));
        }
        if (std::none_of(s.y.begin(), s.y.end(), [](double v) { return std::isfinite(v); }))
            s.name += " (never routed)";
        chart.series.push_back(std::move(s));
    }
    return chart;
}

std::optional<LineChart> pace_chart(const TraceData& trace, const std::string& subject) {
    const char* name = trace.has("pace/weight") ? "pace/weight" : "pace/multiplier";  // the latter: design-1 traces
    if (!trace.has(name)) return std::nullopt;
    const TraceArray& pace = trace.series.at(name);
    const std::int64_t groups = pace.row_size();
    bool varies = false;
    for (float v : pace.values) varies = varies || (std::isfinite(v) && v != 1.0f);
    if (groups == 0 || !varies) return std::nullopt;
    LineChart chart{"ALP learning-rate weights, " + subject, "step", "weight", {}};
    const auto& names = trace.axis("pace_groups");
    for (std::int64_t g = 0; g < groups; ++g) {
        LineSeries s{g < static_cast<std::int64_t>(names.size()) ? names[g] : fmt::format("group {}", g), steps_of(trace), {}};
        s.marker = kPaceMarkers[static_cast<std::size_t>(g) % std::size(kPaceMarkers)];
        s.width = 2 + 2 * static_cast<int>(std::min<std::int64_t>(groups - 1 - g, 3));  // later, narrower lines on top
        for (std::int64_t row = 0; row < trace.rows(); ++row) s.y.push_back(pace.at(row, g));
        chart.series.push_back(std::move(s));
    }
    return chart;
}

std::optional<Heatmap> load_heatmap(const TraceData& trace, const std::string& subject) {
    if (!trace.has("routing/load") || trace.rows() == 0) return std::nullopt;
    const TraceArray& load = trace.series.at("routing/load");
    const std::int64_t layers = load.row_shape.at(0), count = load.row_shape.at(1);
    Heatmap map{"Expert load per layer (mean over training), " + subject, "expert", "layer", "share", trace.axis("layers"),
                {}, {}, {}};
    for (std::int64_t e = 0; e < count; ++e) map.column_labels.push_back(std::to_string(e));
    for (std::int64_t l = 0; l < layers; ++l) {
        std::vector<double> row;
        for (std::int64_t e = 0; e < count; ++e) {
            double sum = 0.0;
            for (std::int64_t r = 0; r < trace.rows(); ++r) sum += load.at(r, l * count + e);
            row.push_back(sum / static_cast<double>(trace.rows()));
        }
        map.values.push_back(std::move(row));
    }
    return map;
}

void save_chart(const LineChart& chart, const std::filesystem::path& path, PlotFormat format) { save_any(chart, path, format); }
void save_chart(const Heatmap& map, const std::filesystem::path& path, PlotFormat format) { save_any(map, path, format); }
void save_chart(const ChartGrid& grid, const std::filesystem::path& path, PlotFormat format) { save_any(grid, path, format); }

std::vector<std::string> write_run_plots(const std::vector<ReportRun>& runs, const std::filesystem::path& folder,
                                         PlotFormat format) {
    std::vector<std::string> notes;
    if (format == PlotFormat::None) return notes;
    const std::string extension = format == PlotFormat::Png ? ".png" : ".svg";
    for (const auto& r : runs) {
        const std::string subject = fmt::format("run {} ({})", r.run.id, r.method);
        const std::string stem = (folder / fmt::format("{}-run{}-", file_safe(r.method), r.run.id)).string();
        if (auto curves = learning_curves(r.history, r.tasks, subject)) save_chart(*curves, stem + "curves" + extension, format);
        else notes.push_back(fmt::format("no learning curves for run {}: no train or val metrics logged", r.run.id));
        write_adaptive_plots(r, stem, extension, format, notes);
        if (!std::filesystem::exists(r.trace)) {
            notes.push_back(fmt::format("no trace plots for run {}: no trace at {}", r.run.id, r.trace.string()));
            continue;
        }
        const TraceData trace = read_trace(r.trace, {"routing/entropy", "routing/load", "pace/weight", "pace/multiplier"});
        if (auto chart = entropy_chart(trace, subject)) save_chart(*chart, stem + "entropy" + extension, format);
        if (auto map = load_heatmap(trace, subject)) save_chart(*map, stem + "load" + extension, format);
        if (!trace.has("routing/entropy"))
            notes.push_back(fmt::format("no routing plots for run {}: its backbone routes nothing (dense)", r.run.id));
        if (auto chart = pace_chart(trace, subject)) save_chart(*chart, stem + "pace" + extension, format);
        else notes.push_back(fmt::format("no pace plot for run {}: every ALP weight stayed 1 (pace.enabled false)", r.run.id));
    }
    return notes;
}

}  // namespace sm4

// The plots of `sm4 report`: each run's learning curves (report_curves.h); from its trace.h5,
// routing entropy per modality, ALP weights per step and expert load per layer; from its
// modality_epochs rows (report_adaptive.h), AEA's k, ALP's weights and the generalisation gap per
// slot over the epochs. Saved as SVG or PNG.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "io/trace_reader.h"
#include "report/plot_charts.h"
#include "report/plot_grid.h"
#include "report/report.h"

namespace sm4 {

// One line per modality slot: routing entropy averaged over the routed groups (layers x query,
// key, value, feed-forward) where it was routed. A slot never routed has no line; its legend
// entry reads "<slot> (never routed)".
std::optional<LineChart> entropy_chart(const TraceData& trace, const std::string& subject);
// One line per pace group, each with its own marker and the earlier ones drawn wider, so groups
// paced alike stay visible; none when every weight is 1 (pace disabled). Reads pace/weight
// (design-1 traces: pace/multiplier).
std::optional<LineChart> pace_chart(const TraceData& trace, const std::string& subject);
// routed groups x experts, the share of assignments averaged over every logged row.
std::optional<Heatmap> load_heatmap(const TraceData& trace, const std::string& subject);

// Writes `text` to `path` atomically (temporary name, then rename); IoError naming the file.
void write_text_file(const std::filesystem::path& path, const std::string& text);

// Renders to `path` (.svg as text, .png through libpng), atomically.
void save_chart(const LineChart& chart, const std::filesystem::path& path, PlotFormat format);
void save_chart(const Heatmap& map, const std::filesystem::path& path, PlotFormat format);
void save_chart(const ChartGrid& grid, const std::filesystem::path& path, PlotFormat format);

// Every run's learning curves and the three trace plots of every run with a trace into `folder`;
// returns notes about plots skipped.
std::vector<std::string> write_run_plots(const std::vector<ReportRun>& runs, const std::filesystem::path& folder,
                                         PlotFormat format);

}  // namespace sm4

// The trace plots of `sm4 report`: routing entropy per modality, ALP pace multipliers and expert
// load per layer, built from a run's trace.h5 and saved as SVG or PNG.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "io/trace_reader.h"
#include "report/plot_charts.h"
#include "report/report.h"

namespace sm4 {

// One line per modality slot: routing entropy averaged over the layers where it was routed.
std::optional<LineChart> entropy_chart(const TraceData& trace, const std::string& subject);
// One line per pace group; none when every multiplier is 1 (pace disabled).
std::optional<LineChart> pace_chart(const TraceData& trace, const std::string& subject);
// layers x experts, the share of assignments averaged over every logged row.
std::optional<Heatmap> load_heatmap(const TraceData& trace, const std::string& subject);

// Writes `text` to `path` atomically (temporary name, then rename); IoError naming the file.
void write_text_file(const std::filesystem::path& path, const std::string& text);

// Renders to `path` (.svg as text, .png through libpng), atomically.
void save_chart(const LineChart& chart, const std::filesystem::path& path, PlotFormat format);
void save_chart(const Heatmap& map, const std::filesystem::path& path, PlotFormat format);

// The three plots of every run with a trace into `folder`; returns notes about plots skipped.
std::vector<std::string> write_run_plots(const std::vector<ReportRun>& runs, const std::filesystem::path& folder,
                                         PlotFormat format);

}  // namespace sm4

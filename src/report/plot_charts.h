// Line charts and heatmaps drawn through a Painter (so SVG and PNG share one layout): axes with
// "nice" ticks, grid, axis labels, a title and a legend or colour bar.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "report/plot_painter.h"

namespace sm4 {

// A mark drawn on a series' points (and in its legend entry), so lines that overlap exactly stay
// told apart; drawn with rectangles and lines only.
enum class Marker { None, Square, Cross, Plus, Diamond };
constexpr std::size_t kAutoColor = static_cast<std::size_t>(-1);

struct LineSeries {
    std::string name;
    std::vector<double> x, y;  // same length; a NaN y breaks the line
    Marker marker = Marker::None;
    int width = 2;             // line width in pixels
    std::size_t color = kAutoColor;  // palette index; kAutoColor: the series' position
};

// A series with no finite value draws no line; its legend entry is its name in grey with no
// sample (e.g. "vision (1 expert: no routing)").
struct LineChart {
    std::string title, x_label, y_label;
    std::vector<LineSeries> series;
    int width = 960, height = 560;  // pixels
};

// Consecutive columns that belong together (an SM4 expert group), named under the column labels
// and parted by separator lines.
struct ColumnGroup {
    std::string name;
    std::size_t columns = 0;
};

struct Heatmap {
    std::string title, x_label, y_label, value_label;
    std::vector<std::string> row_labels, column_labels;
    std::vector<std::vector<double>> values;  // [rows][columns]
    std::vector<ColumnGroup> column_groups;   // empty: no grouping drawn
};

// Pixel size of a chart's image.
struct ChartSize {
    int width = 0, height = 0;
};
ChartSize chart_size(const LineChart& chart);
ChartSize chart_size(const Heatmap& map);

void draw_chart(const LineChart& chart, Painter& painter);
void draw_chart(const Heatmap& map, Painter& painter);

// Tick positions covering [lo, hi] at a step of 1, 2 or 5 x 10^k, about `count` of them.
std::vector<double> nice_ticks(double lo, double hi, int count);

}  // namespace sm4

// Line charts and heatmaps drawn through a Painter (so SVG and PNG share one layout): axes with
// "nice" ticks, grid, axis labels, a title and a legend or colour bar.
#pragma once

#include <string>
#include <vector>

#include "report/plot_painter.h"

namespace sm4 {

struct LineSeries {
    std::string name;
    std::vector<double> x, y;  // same length; a NaN y breaks the line
};

struct LineChart {
    std::string title, x_label, y_label;
    std::vector<LineSeries> series;
};

struct Heatmap {
    std::string title, x_label, y_label, value_label;
    std::vector<std::string> row_labels, column_labels;
    std::vector<std::vector<double>> values;  // [rows][columns]
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

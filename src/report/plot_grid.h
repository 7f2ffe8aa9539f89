// Several line charts in one image: rows of panels under a common title (a run's learning
// curves: one row per task, loss beside the task's metric).
#pragma once

#include <string>
#include <vector>

#include "report/plot_charts.h"

namespace sm4 {

struct ChartGrid {
    std::string title;
    std::vector<std::vector<LineChart>> rows;  // each panel drawn at its own width and height
};

// The widest row's panels side by side; rows stacked under a title band.
ChartSize chart_size(const ChartGrid& grid);
void draw_chart(const ChartGrid& grid, Painter& painter);

}  // namespace sm4

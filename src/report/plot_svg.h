// A Painter that writes SVG text.
#pragma once

#include <string>

#include "report/plot_painter.h"

namespace sm4 {

class SvgPainter : public Painter {
public:
    SvgPainter(int width, int height);  // starts with a white background
    void rect(double x, double y, double w, double h, Rgb fill) override;
    void line(double x0, double y0, double x1, double y1, Rgb color, int width) override;
    void polyline(const std::vector<std::pair<double, double>>& points, Rgb color, int width) override;
    void text(double x, double y, const std::string& text, Rgb color, int scale, TextAnchor anchor) override;
    std::string finish() const;  // the whole document

private:
    int width_, height_;
    std::string body_;
};

}  // namespace sm4

#include "report/plot_svg.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace sm4 {
namespace {

std::string xml_escape(const std::string& text) {
    std::string out;
    for (char ch : text) {
        if (ch == '&') out += "&amp;";
        else if (ch == '<') out += "&lt;";
        else if (ch == '>') out += "&gt;";
        else if (ch == '"') out += "&quot;";
        else out += ch;
    }
    return out;
}

}  // namespace

Rgb palette_color(std::size_t i) {
    static const Rgb colors[] = {{31, 119, 180}, {255, 127, 14}, {44, 160, 44},   {214, 39, 40},  {148, 103, 189},
                                 {140, 86, 75},  {227, 119, 194}, {127, 127, 127}, {188, 189, 34}, {23, 190, 207}};
    return colors[i % 10];
}

Rgb sequential_color(double t) {
    static const Rgb stops[] = {{68, 1, 84}, {59, 82, 139}, {33, 145, 140}, {94, 201, 98}, {253, 231, 37}};
    if (!std::isfinite(t)) t = 0.0;
    t = std::clamp(t, 0.0, 1.0) * 4.0;
    const int i = std::min(3, static_cast<int>(t));
    const double f = t - i;
    const auto mix = [&](std::uint8_t a, std::uint8_t b) { return static_cast<std::uint8_t>(std::lround(a + (b - a) * f)); };
    return {mix(stops[i].r, stops[i + 1].r), mix(stops[i].g, stops[i + 1].g), mix(stops[i].b, stops[i + 1].b)};
}

std::string hex_color(Rgb c) { return fmt::format("#{:02x}{:02x}{:02x}", c.r, c.g, c.b); }

SvgPainter::SvgPainter(int width, int height) : width_(width), height_(height) {
    rect(0, 0, width, height, {255, 255, 255});
}

void SvgPainter::rect(double x, double y, double w, double h, Rgb fill) {
    body_ += fmt::format("<rect x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.1f}\" height=\"{:.1f}\" fill=\"{}\"/>\n", x, y, w, h,
                         hex_color(fill));
}

void SvgPainter::line(double x0, double y0, double x1, double y1, Rgb color, int width) {
    body_ += fmt::format("<line x1=\"{:.1f}\" y1=\"{:.1f}\" x2=\"{:.1f}\" y2=\"{:.1f}\" stroke=\"{}\" stroke-width=\"{}\"/>\n",
                         x0, y0, x1, y1, hex_color(color), width);
}

void SvgPainter::polyline(const std::vector<std::pair<double, double>>& points, Rgb color, int width) {
    std::string coordinates;
    for (const auto& [x, y] : points) coordinates += fmt::format("{}{:.1f},{:.1f}", coordinates.empty() ? "" : " ", x, y);
    body_ += fmt::format("<polyline points=\"{}\" fill=\"none\" stroke=\"{}\" stroke-width=\"{}\" "
                         "stroke-linejoin=\"round\"/>\n", coordinates, hex_color(color), width);
}

void SvgPainter::text(double x, double y, const std::string& text, Rgb color, int scale, TextAnchor anchor) {
    const char* anchors[] = {"start", "middle", "end"};
    // font-size 10 * scale: a monospace glyph advances 0.6 em = 6 * scale, as in the raster face
    body_ += fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\" font-family=\"monospace\" font-size=\"{}\" fill=\"{}\" "
                         "text-anchor=\"{}\" dominant-baseline=\"central\">{}</text>\n",
                         x, y, kGlyphHeight * scale, hex_color(color), anchors[static_cast<int>(anchor)], xml_escape(text));
}

std::string SvgPainter::finish() const {
    return fmt::format("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{0}\" height=\"{1}\" viewBox=\"0 0 {0} {1}\">\n{2}"
                       "</svg>\n", width_, height_, body_);
}

}  // namespace sm4

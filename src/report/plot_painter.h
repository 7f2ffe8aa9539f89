// What the charts draw with: one small interface with an SVG and a raster (PNG) implementation,
// so both files come from the same layout code. Coordinates are pixels, y downwards.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace sm4 {

struct Rgb {
    std::uint8_t r = 0, g = 0, b = 0;
};

enum class TextAnchor { Start, Middle, End };

// Text is a monospace face whose glyphs advance 6 * scale pixels and stand 10 * scale high.
constexpr int kGlyphAdvance = 6;
constexpr int kGlyphHeight = 10;
inline int text_width(const std::string& text, int scale) { return static_cast<int>(text.size()) * kGlyphAdvance * scale; }

class Painter {
public:
    virtual ~Painter() = default;
    virtual void rect(double x, double y, double w, double h, Rgb fill) = 0;
    virtual void line(double x0, double y0, double x1, double y1, Rgb color, int width) = 0;
    // A connected line through `points`; callers split it where values are missing.
    virtual void polyline(const std::vector<std::pair<double, double>>& points, Rgb color, int width) = 0;
    // `y` is the vertical centre of the text.
    virtual void text(double x, double y, const std::string& text, Rgb color, int scale, TextAnchor anchor) = 0;
};

// Colour i of a ten-colour qualitative palette (matplotlib's tab10), cycling.
Rgb palette_color(std::size_t i);
// A perceptually ordered colour for t in [0, 1] (viridis, interpolated from five stops).
Rgb sequential_color(double t);
std::string hex_color(Rgb color);  // "#1f77b4"

}  // namespace sm4

// A 5 x 8 bitmap face for printable ASCII (rows 0-6 the body, row 7 descenders), for PNG labels.
#pragma once

namespace sm4 {

// Whether pixel (column 0-4, row 0-7) of `ch` is set; characters outside 32-126 draw as '?'.
bool glyph_pixel(char ch, int column, int row);

}  // namespace sm4

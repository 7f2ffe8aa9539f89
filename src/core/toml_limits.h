// Limits on config text, checked before the TOML parser sees it: the parser recurses once per
// level of nesting, so a table header nested 100,000 levels deep would overflow the stack.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace sm4 {

// Most bytes one config text (a file, a --set value) may hold.
inline constexpr std::size_t kMaxTomlBytes = 16u << 20;
// Deepest nesting of tables, dotted-key parts, arrays and inline tables together.
inline constexpr int kMaxTomlDepth = 128;

// ConfigError "<origin>:<line>: ..." naming the limit when `text` is larger than kMaxTomlBytes
// or nests deeper than kMaxTomlDepth. Text the parser will refuse anyway (an unterminated
// string) passes, so the parser reports it with its own message.
void check_toml_limits(std::string_view text, const std::string& origin);

}  // namespace sm4

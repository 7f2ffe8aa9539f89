// Small string helpers shared by the config parser, the CSV reader, the printers and error messages.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace sm4 {

// Levenshtein distance between two strings (used to suggest the closest valid name).
std::size_t edit_distance(std::string_view a, std::string_view b);

// The candidate closest to `name` by edit distance; empty when `candidates` is empty.
std::string closest_match(std::string_view name, const std::vector<std::string>& candidates);

// " (did you mean 'x'?)" when a candidate is close enough to be a plausible typo, else "".
std::string did_you_mean(std::string_view name, const std::vector<std::string>& candidates);

std::vector<std::string> split(std::string_view text, char separator);

// "1.23 M", "45.6 k", "789": a count with an SI prefix and 3 significant digits.
std::string si_count(double value);
std::string_view trim(std::string_view text);
std::string join(const std::vector<std::string>& parts, std::string_view separator);

// Input text made safe to quote in a one-line message: valid UTF-8 stays, control characters
// and bytes that are not UTF-8 become \xNN (a backslash becomes \\), so a message never spans
// lines or carries terminal escapes.
std::string printable(std::string_view text);

// A whole message made one printable line, as the CLI prints every error: like printable() but
// backslashes stay as they are (the parts quoted from input are already escaped).
std::string one_line(std::string_view message);

// Whether the text holds a control character (a byte below 0x20, or DEL).
bool has_control_characters(std::string_view text);

// A word a POSIX shell reads back as `text`: as it is when it holds only [A-Za-z0-9_./:=,+-@%],
// else in single quotes ('it'\''s').
std::string shell_quote(const std::string& text);

}  // namespace sm4

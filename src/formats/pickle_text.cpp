#include "formats/pickle_text.h"

#include <cerrno>
#include <cstdlib>
#include <string>

namespace sm4 {

namespace {

int hex_digit(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

// The value of `digits` hex digits at text[at], or -1.
long hex_value(std::string_view text, std::size_t at, std::size_t digits) {
    if (at + digits > text.size()) return -1;
    long value = 0;
    for (std::size_t i = 0; i < digits; ++i) {
        const int d = hex_digit(text[at + i]);
        if (d < 0) return -1;
        value = value * 16 + d;
    }
    return value;
}

void append_utf8(std::vector<std::uint8_t>& out, std::uint32_t cp) {
    if (cp < 0x80) {
        out.push_back(static_cast<std::uint8_t>(cp));
    } else if (cp < 0x800) {
        out.push_back(static_cast<std::uint8_t>(0xc0 | (cp >> 6)));
        out.push_back(static_cast<std::uint8_t>(0x80 | (cp & 0x3f)));
    } else if (cp < 0x10000) {
        out.push_back(static_cast<std::uint8_t>(0xe0 | (cp >> 12)));
        out.push_back(static_cast<std::uint8_t>(0x80 | ((cp >> 6) & 0x3f)));
        out.push_back(static_cast<std::uint8_t>(0x80 | (cp & 0x3f)));
    } else {
        out.push_back(static_cast<std::uint8_t>(0xf0 | (cp >> 18)));
        out.push_back(static_cast<std::uint8_t>(0x80 | ((cp >> 12) & 0x3f)));
        out.push_back(static_cast<std::uint8_t>(0x80 | ((cp >> 6) & 0x3f)));
        out.push_back(static_cast<std::uint8_t>(0x80 | (cp & 0x3f)));
    }
}

}  // namespace

std::optional<std::int64_t> parse_pickle_int(std::string_view text) {
    if (!text.empty() && text.back() == 'L') text.remove_suffix(1);
    if (text.empty()) return std::nullopt;
    const std::string copy(text);
    char* end = nullptr;
    errno = 0;
    const long long value = std::strtoll(copy.c_str(), &end, 10);
    if (errno != 0 || end != copy.c_str() + copy.size()) return std::nullopt;
    return static_cast<std::int64_t>(value);
}

std::optional<double> parse_pickle_float(std::string_view text) {
    const std::string copy(text);
    char* end = nullptr;
    const double value = std::strtod(copy.c_str(), &end);
    if (copy.empty() || end != copy.c_str() + copy.size()) return std::nullopt;
    return value;
}

std::optional<std::vector<std::uint8_t>> decode_string_repr(std::string_view text) {
    if (text.size() < 2 || (text.front() != '\'' && text.front() != '"') || text.back() != text.front())
        return std::nullopt;
    text = text.substr(1, text.size() - 2);
    std::vector<std::uint8_t> out;
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] != '\\') {
            out.push_back(static_cast<std::uint8_t>(text[i]));
            continue;
        }
        if (++i >= text.size()) return std::nullopt;
        const char c = text[i];
        static constexpr std::string_view kFrom = "\\'\"nrtabfv", kTo = "\\'\"\n\r\t\a\b\f\v";
        if (const auto k = kFrom.find(c); k != std::string_view::npos) {
            out.push_back(static_cast<std::uint8_t>(kTo[k]));
        } else if (c == 'x') {
            const long value = hex_value(text, i + 1, 2);
            if (value < 0) return std::nullopt;
            out.push_back(static_cast<std::uint8_t>(value));
            i += 2;
        } else if (c >= '0' && c <= '7') {
            int value = 0;
            std::size_t digits = 0;
            for (; digits < 3 && i + digits < text.size() && text[i + digits] >= '0' && text[i + digits] <= '7'; ++digits)
                value = value * 8 + (text[i + digits] - '0');
            out.push_back(static_cast<std::uint8_t>(value));
            i += digits - 1;
        } else {
            return std::nullopt;
        }
    }
    return out;
}

std::optional<std::vector<std::uint8_t>> decode_raw_unicode_escape(std::string_view text) {
    std::vector<std::uint8_t> out;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const bool escape = text[i] == '\\' && i + 1 < text.size() && (text[i + 1] == 'u' || text[i + 1] == 'U');
        if (!escape) {
            append_utf8(out, static_cast<std::uint8_t>(text[i]));
            continue;
        }
        const std::size_t digits = text[i + 1] == 'u' ? 4 : 8;
        const long cp = hex_value(text, i + 2, digits);
        if (cp < 0 || cp > 0x10ffff) return std::nullopt;
        append_utf8(out, static_cast<std::uint32_t>(cp));
        i += 1 + digits;
    }
    return out;
}

std::optional<std::int64_t> decode_long_bytes(const std::uint8_t* bytes, std::size_t size) {
    if (size == 0) return 0;
    if (size > 8) {
        // Wider encodings of a value that fits: all the extra high bytes are sign extension.
        const std::uint8_t fill = (bytes[7] & 0x80) ? 0xff : 0x00;
        for (std::size_t i = 8; i < size; ++i)
            if (bytes[i] != fill) return std::nullopt;
        size = 8;
    }
    std::uint64_t value = 0;
    for (std::size_t i = size; i-- > 0;) value = (value << 8) | bytes[i];
    if (size < 8 && (bytes[size - 1] & 0x80)) value |= ~std::uint64_t{0} << (8 * size);  // sign-extend
    return static_cast<std::int64_t>(value);
}

}  // namespace sm4

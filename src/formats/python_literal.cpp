#include "formats/python_literal.h"

#include <fmt/format.h>

#include <cctype>

#include "core/errors.h"
#include "core/text.h"

namespace sm4 {

namespace {

class LiteralParser {
public:
    LiteralParser(std::string_view text, std::string_view where) : text_(text), where_(where) {}

    PythonLiteral parse_all() {
        PythonLiteral value = parse_value();
        skip_space();
        if (pos_ != text_.size()) fail("end of the header");
        return value;
    }

private:
    [[noreturn]] void fail(std::string_view expected) const {
        throw DataError(fmt::format("{}: malformed header: expected {} at column {} of \"{}\"", where_, expected,
                                    pos_ + 1, printable(text_.substr(0, 200))));
    }

    void skip_space() {
        while (pos_ < text_.size() && std::isspace(static_cast<unsigned char>(text_[pos_]))) ++pos_;
    }

    bool take(char c) {
        skip_space();
        if (pos_ < text_.size() && text_[pos_] == c) {
            ++pos_;
            return true;
        }
        return false;
    }

    PythonLiteral parse_value() {
        skip_space();
        if (pos_ >= text_.size()) fail("a value");
        const char c = text_[pos_];
        if (c == '{') return parse_dict();
        if (c == '(') return parse_sequence(')', PythonLiteral::Kind::Tuple);
        if (c == '[') return parse_sequence(']', PythonLiteral::Kind::List);
        PythonLiteral value;
        if (c == '\'' || c == '"') {
            value.kind = PythonLiteral::Kind::Str;
            value.text = parse_string();
        } else if (c == '-' || std::isdigit(static_cast<unsigned char>(c))) {
            value.kind = PythonLiteral::Kind::Int;
            value.integer = parse_int();
        } else if (take_word("True")) {
            value.kind = PythonLiteral::Kind::Bool;
            value.boolean = true;
        } else if (take_word("False")) {
            value.kind = PythonLiteral::Kind::Bool;
        } else if (take_word("None")) {
            value.kind = PythonLiteral::Kind::None;
        } else {
            fail("a string, number, True, False, None, tuple, list or dict");
        }
        return value;
    }

    bool take_word(std::string_view word) {
        if (text_.substr(pos_, word.size()) != word) return false;
        pos_ += word.size();
        return true;
    }

    std::string parse_string() {
        const char quote = text_[pos_++];
        std::string out;
        while (pos_ < text_.size() && text_[pos_] != quote) {
            if (text_[pos_] == '\\' && pos_ + 1 < text_.size()) ++pos_;  // headers never need more than \' and \\.
            out += text_[pos_++];
        }
        if (pos_ >= text_.size()) fail("a closing quote");
        ++pos_;
        return out;
    }

    std::int64_t parse_int() {
        const std::size_t start = pos_;
        if (text_[pos_] == '-') ++pos_;
        std::int64_t value = 0;
        bool any = false;
        while (pos_ < text_.size() && std::isdigit(static_cast<unsigned char>(text_[pos_]))) {
            const int digit = text_[pos_++] - '0';
            if (value > (INT64_MAX - digit) / 10) fail("an integer that fits in 64 bits");
            value = value * 10 + digit;
            any = true;
        }
        if (!any) fail("digits");
        if (pos_ < text_.size() && text_[pos_] == 'L') ++pos_;  // Python 2 long, e.g. (60000L, 28L)
        return text_[start] == '-' ? -value : value;
    }

    PythonLiteral parse_sequence(char close, PythonLiteral::Kind kind) {
        ++pos_;
        PythonLiteral value;
        value.kind = kind;
        while (!take(close)) {
            value.items.push_back(parse_value());
            if (!take(',')) {
                if (!take(close)) fail(fmt::format("',' or '{}'", close));
                break;
            }
        }
        return value;
    }

    PythonLiteral parse_dict() {
        ++pos_;
        PythonLiteral value;
        value.kind = PythonLiteral::Kind::Dict;
        while (!take('}')) {
            skip_space();
            if (pos_ >= text_.size() || (text_[pos_] != '\'' && text_[pos_] != '"')) fail("a quoted key");
            std::string key = parse_string();
            if (!take(':')) fail("':'");
            value.entries.emplace_back(std::move(key), parse_value());
            if (!take(',')) {
                if (!take('}')) fail("',' or '}'");
                break;
            }
        }
        return value;
    }

    std::string_view text_;
    std::string_view where_;
    std::size_t pos_ = 0;
};

}  // namespace

const PythonLiteral* PythonLiteral::find(std::string_view key) const {
    for (const auto& [name, value] : entries)
        if (name == key) return &value;
    return nullptr;
}

PythonLiteral parse_python_literal(std::string_view text, std::string_view where) {
    return LiteralParser(text, where).parse_all();
}

}  // namespace sm4

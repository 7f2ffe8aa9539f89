#include "core/toml_limits.h"

#include <fmt/format.h>

#include <vector>

#include "core/errors.h"

namespace sm4 {

namespace {

// A scan of TOML's lexical structure: strings and comments are skipped; brackets and braces
// open levels; dots inside a key (a header, a key before '=', a key inside an inline table)
// each add one.
class NestingScan {
public:
    NestingScan(std::string_view text, const std::string& origin) : text_(text), origin_(origin) {}

    void run() {
        while (at_ < text_.size()) {
            const char c = text_[at_];
            if (c == '"' || c == '\'') {
                if (!skip_string(c)) return;  // unterminated: the parser's error
                continue;
            }
            ++at_;
            switch (c) {
                case '\n':
                    ++line_;
                    if (open_.empty()) start_key();
                    break;
                case '#':
                    while (at_ < text_.size() && text_[at_] != '\n') ++at_;
                    break;
                case '.':
                    if (in_key_) deeper(++dots_);
                    break;
                case '=':
                    in_key_ = false;
                    dots_ = 0;
                    break;
                case '[':
                case '{':
                    open_.push_back(c);
                    if (c == '{') start_key();
                    deeper(dots_);
                    break;
                case ']':
                case '}':
                    if (!open_.empty()) open_.pop_back();
                    break;
                case ',':
                    if (!open_.empty() && open_.back() == '{') start_key();
                    break;
                default:
                    break;
            }
        }
    }

private:
    void start_key() {
        in_key_ = true;
        dots_ = 0;
    }

    void deeper(int dots) const {
        const std::size_t depth = open_.size() + static_cast<std::size_t>(dots);
        if (depth > static_cast<std::size_t>(kMaxTomlDepth))
            throw ConfigError(fmt::format("{}:{}: TOML nested more than {} levels deep (tables, dotted keys, arrays and "
                                          "inline tables together), sm4's limit for config text",
                                          origin_, line_, kMaxTomlDepth));
    }

    // Skips a basic ("...", """...""") or literal ('...', '''...''') string; false when it does
    // not end.
    bool skip_string(char quote) {
        const bool triple = text_.substr(at_, 3) == std::string(3, quote);
        at_ += triple ? 3 : 1;
        while (at_ < text_.size()) {
            const char c = text_[at_];
            if (c == '\\' && quote == '"') {
                at_ += 2;
                continue;
            }
            if (c == '\n') {
                if (!triple) return false;
                ++line_;
            }
            if (c == quote && (!triple || text_.substr(at_, 3) == std::string(3, quote))) {
                at_ += triple ? 3 : 1;
                // """a"""" : up to two more quotes belong to the string
                while (triple && at_ < text_.size() && text_[at_] == quote) ++at_;
                return true;
            }
            ++at_;
        }
        return false;
    }

    std::string_view text_;
    const std::string& origin_;
    std::size_t at_ = 0;
    int line_ = 1;
    std::vector<char> open_;
    bool in_key_ = true;
    int dots_ = 0;
};

}  // namespace

void check_toml_limits(std::string_view text, const std::string& origin) {
    if (text.size() > kMaxTomlBytes)
        throw ConfigError(fmt::format("{}: {} bytes of config text, more than sm4's limit of {} MiB", origin,
                                      text.size(), kMaxTomlBytes >> 20));
    NestingScan(text, origin).run();
}

}  // namespace sm4

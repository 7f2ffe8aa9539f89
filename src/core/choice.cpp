#include "core/choice.h"

#include <fmt/format.h>

#include "core/errors.h"
#include "core/text.h"

namespace sm4 {

std::string expected_choice(const std::vector<std::string>& names) {
    std::vector<std::string> quoted;
    for (const auto& name : names) quoted.push_back("\"" + name + "\"");
    return "one of " + join(quoted, ", ");
}

std::string choice_mismatch(std::string_view word, const std::vector<std::string>& names) {
    return fmt::format("expected {}, found \"{}\"{}", expected_choice(names), word, did_you_mean(word, names));
}

void throw_unknown_choice(std::string_view what, std::string_view word, const std::vector<std::string>& names) {
    throw UsageError(fmt::format("{}: {}", what, choice_mismatch(word, names)));
}

}  // namespace sm4

// Enumerations whose values users type as words (config choices, output formats): one table of
// names per enum, so each is parsed once, printed the same everywhere, and an unknown word gets
// the list of valid ones and the closest of them.
#pragma once

#include <array>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sm4 {

// Specialise for each enum E with values 0..N-1: `static constexpr std::array<std::string_view, N>
// names = {...};` in the order of the values.
template <class E> struct ChoiceNames;

template <class E> std::string to_string(E value) {
    return std::string(ChoiceNames<E>::names[static_cast<std::size_t>(value)]);
}

template <class E> std::optional<E> find_choice(std::string_view word) {
    const auto& names = ChoiceNames<E>::names;
    for (std::size_t i = 0; i < names.size(); ++i)
        if (names[i] == word) return static_cast<E>(i);
    return std::nullopt;
}

template <class E> std::vector<std::string> choice_names() {
    return {ChoiceNames<E>::names.begin(), ChoiceNames<E>::names.end()};
}

// "one of "a", "b", "c"" (quoted as TOML strings).
std::string expected_choice(const std::vector<std::string>& names);

// "expected one of "a", "b", found "x" (did you mean "a"?)": what a parser says about `word`.
std::string choice_mismatch(std::string_view word, const std::vector<std::string>& names);

// The value named `word`; UsageError "<what>: expected one of ..., found ..." otherwise. `what`
// names the value's role without a command-line flag ("report format"), so the library's message
// fits any front end; the CLI names its flag itself.
void throw_unknown_choice(std::string_view what, std::string_view word, const std::vector<std::string>& names);

template <class E> E parse_choice(std::string_view what, std::string_view word) {
    if (const auto value = find_choice<E>(word)) return *value;
    throw_unknown_choice(what, word, choice_names<E>());
    return E{};  // not reached
}

}  // namespace sm4

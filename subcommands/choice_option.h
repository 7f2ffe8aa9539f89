// Options whose value is a word of one of the library's choice enums (core/choice.h): parsed once,
// the valid words listed in --help, an unknown word refused by CLI11 with the flag named
// ("--format: expected one of "markdown", ... found "md5" (did you mean ...)"), exit code 2.
#pragma once

#include <CLI/CLI.hpp>

#include <string>

#include "core/choice.h"
#include "core/text.h"

namespace sm4::cli {

template <class E>
CLI::Option* add_choice(CLI::App& command, const std::string& flags, E& target, const std::string& help) {
    CLI::Option* option = command.add_option_function<std::string>(
        flags,
        [&target, flags](const std::string& word) {
            const auto value = find_choice<E>(word);
            if (!value) throw CLI::ValidationError(split(flags, ',').back(), choice_mismatch(word, choice_names<E>()));
            target = *value;
        },
        help + " (" + join(choice_names<E>(), ", ") + "; default " + to_string(target) + ")");
    option->type_name("WORD");
    return option;
}

// For a string option passed on as text (e.g. into --set): refuses a word that is not one of E's,
// "--device: expected one of "cpu", "cuda", found "gpu"". No closest-word hint: with a short list
// shown it adds little, and it would offer "cpu" for "gpu".
template <class E> CLI::Validator choice_check() {
    return CLI::Validator(
        [](std::string& word) {
            if (find_choice<E>(word)) return std::string();
            return "expected " + expected_choice(choice_names<E>()) + ", found \"" + printable(word) + "\"";
        },
        join(choice_names<E>(), "|"));
}

}  // namespace sm4::cli

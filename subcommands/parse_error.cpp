#include "parse_error.h"

#include <fmt/format.h>

#include <algorithm>
#include <vector>

#include "core/text.h"

namespace sm4::cli {
namespace {

// The innermost command the parser entered ("runs" for `sm4 runs lsit`).
const CLI::App& deepest_command(const CLI::App& app) {
    const CLI::App* command = &app;
    while (!command->get_subcommands().empty()) command = command->get_subcommands().front();
    return *command;
}

// "runs list": the command's path below sm4 ("" for sm4 itself).
std::string command_path(const CLI::App& command) {
    std::string path;
    for (const CLI::App* at = &command; at->get_parent() != nullptr; at = at->get_parent())
        path = path.empty() ? at->get_name() : at->get_name() + " " + path;
    return path;
}

std::vector<std::string> subcommand_names(const CLI::App& command) {
    std::vector<std::string> names;
    for (const CLI::App* sub : command.get_subcommands([](const CLI::App* s) { return !s->get_group().empty(); }))
        names.push_back(sub->get_name());
    return names;
}

// The long names of the command's options and of sm4's own, without their dashes.
std::vector<std::string> long_option_names(const CLI::App& command) {
    std::vector<std::string> names;
    for (const CLI::App* at = &command; at != nullptr; at = at->get_parent())
        for (const CLI::Option* option : at->get_options())
            if (!option->get_group().empty())
                names.insert(names.end(), option->get_lnames().begin(), option->get_lnames().end());
    return names;
}

// Of the words a command needing a subcommand left over, the one meant as the command: one
// close to a command's name (`runs --db x lsit`), else the first that is no option.
std::string typed_command(const std::vector<std::string>& words, const std::vector<std::string>& names) {
    std::string first;
    for (const std::string& word : words) {
        if (word.empty() || word.front() == '-') continue;
        if (!did_you_mean(word, names).empty()) return word;
        if (first.empty()) first = word;
    }
    return first;
}

// " (did you mean '--device'?)" for "--devcie" (compared without dashes, so that any two
// options do not look alike), else "".
std::string option_hint(const std::string& name, const CLI::App& command) {
    const std::string bare = name.substr(std::min(name.find_first_not_of('-'), name.size()));
    const std::vector<std::string> names = long_option_names(command);
    if (bare.size() < 2 || did_you_mean(bare, names).empty()) return "";
    return " (did you mean '--" + closest_match(bare, names) + "'?)";
}

}  // namespace

std::string parse_error_message(const CLI::App& app, const CLI::ParseError& error) {
    // Words the parser could not place show up as a missing command or argument, or as extras;
    // every other error (a bad value, a missing option) already names its option.
    const bool unplaced = dynamic_cast<const CLI::RequiredError*>(&error) != nullptr ||
                          dynamic_cast<const CLI::ExtrasError*>(&error) != nullptr;
    if (!unplaced) return one_line(error.what());
    const CLI::App& command = deepest_command(app);
    const std::string path = command_path(command);
    const std::string where = path.empty() ? "" : path + ": ";
    const std::string help = fmt::format(" (see sm4{} --help)", path.empty() ? "" : " " + path);
    const std::vector<std::string> left = app.remaining(true);
    const std::vector<std::string> names = subcommand_names(command);
    if (!names.empty()) {
        const std::string typed = typed_command(left, names);
        if (!typed.empty()) {
            const std::string hint = did_you_mean(typed, names);
            return fmt::format("{}unknown command '{}'{}", where, printable(typed), hint.empty() ? help : hint);
        }
    }
    if (!left.empty() && left.front().size() > 1 && left.front().front() == '-') {
        const std::string name = left.front().substr(0, left.front().find('='));
        const std::string hint = option_hint(name, command);
        return fmt::format("{}unknown option '{}'{}", where, printable(name), hint.empty() ? help : hint);
    }
    if (!names.empty()) return fmt::format("{}a command is required: {}{}", where, join(names, ", "), help);
    if (!left.empty()) return fmt::format("{}unexpected argument '{}'{}", where, printable(left.front()), help);
    return where + one_line(error.what());
}

}  // namespace sm4::cli

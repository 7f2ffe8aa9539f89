// `sm4 completion bash|zsh`: print a shell completion script made from this command tree.
#include <fmt/core.h>

#include <memory>

#include "choice_option.h"
#include "commands.h"
#include "completion_script.h"

namespace sm4::cli {

void add_completion_command(CLI::App& app) {
    auto shell = std::make_shared<std::string>();
    CLI::App* command = app.add_subcommand("completion", "Print a bash or zsh completion script for sm4");
    command->add_option("shell", *shell, "bash or zsh")->required()->check(choice_check<Shell>());
    command->footer("Install: source <(sm4 completion bash) in ~/.bashrc, or source <(sm4 completion zsh) in ~/.zshrc "
                    "after compinit.");
    const CLI::App* root = &app;
    command->callback([root, shell] { fmt::print("{}", completion_script(*root, parse_choice<Shell>("shell", *shell))); });
}

}  // namespace sm4::cli

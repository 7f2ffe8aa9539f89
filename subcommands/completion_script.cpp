#include "completion_script.h"

#include <fmt/format.h>

#include <vector>

#include "core/config_schema.h"
#include "core/text.h"

namespace sm4::cli {
namespace {

// One command of the tree as the script sees it, by its path below sm4 ("" for sm4, "runs list").
struct CommandWords {
    std::string path;
    std::vector<std::string> commands;       // visible subcommands
    std::vector<std::string> options;        // every visible option name, -c and --config alike
    std::vector<std::string> value_options;  // those that take a value
    bool takes_experiment = false;           // a positional named "experiment"
};

void collect(const CLI::App& command, const std::string& path, std::vector<CommandWords>& out) {
    CommandWords words{path, {}, {}, {}, false};
    for (const CLI::Option* option : command.get_options()) {
        if (option->get_group().empty()) continue;  // hidden
        if (option->get_positional()) {
            words.takes_experiment = words.takes_experiment || option->get_name(true) == "experiment";
            continue;
        }
        std::vector<std::string> names;
        for (const auto& name : option->get_snames()) names.push_back("-" + name);
        for (const auto& name : option->get_lnames()) names.push_back("--" + name);
        words.options.insert(words.options.end(), names.begin(), names.end());
        if (option->get_items_expected_max() > 0)
            words.value_options.insert(words.value_options.end(), names.begin(), names.end());
    }
    const auto visible = [](const CLI::App* sub) { return !sub->get_group().empty(); };
    std::vector<const CLI::App*> subs = command.get_subcommands(visible);
    for (const CLI::App* sub : subs) words.commands.push_back(sub->get_name());
    out.push_back(words);
    for (const CLI::App* sub : subs) collect(*sub, path.empty() ? sub->get_name() : path + " " + sub->get_name(), out);
}

// A shell function printing, for the command path in $1, the words `field` picks.
template <class Field>
std::string case_function(const std::string& name, const std::vector<CommandWords>& tree, Field field) {
    std::string text = name + "() {\n    case \"$1\" in\n";
    for (const CommandWords& command : tree)
        if (!field(command).empty())
            text += fmt::format("        \"{}\") echo \"{}\" ;;\n", command.path, join(field(command), " "));
    return text + "    esac\n}\n";
}

std::string config_keys_words() {
    std::vector<std::string> keys;
    for (const ConfigField& field : config_fields()) keys.push_back(field.key + "=");
    return join(keys, " ");
}

// What both shells share: the tables, and the command path of the words typed so far.
std::string shared_functions(const CLI::App& app) {
    std::vector<CommandWords> tree;
    collect(app, "", tree);
    std::string text;
    text += case_function("_sm4_commands", tree, [](const CommandWords& c) { return c.commands; });
    text += case_function("_sm4_options", tree, [](const CommandWords& c) { return c.options; });
    text += case_function("_sm4_value_options", tree, [](const CommandWords& c) { return c.value_options; });
    std::vector<std::string> experiment_paths;
    for (const CommandWords& command : tree)
        if (command.takes_experiment) experiment_paths.push_back("\"" + command.path + "\"");
    text += "_sm4_takes_experiment() {\n    case \"$1\" in\n";
    if (!experiment_paths.empty()) text += "        " + join(experiment_paths, "|") + ") return 0 ;;\n";
    text += "    esac\n    return 1\n}\n";
    text += "_sm4_config_keys() {\n    echo \"" + config_keys_words() + "\"\n}\n";
    text += R"sh(# The command path ("runs list") of the words given, skipping option values.
_sm4_path() {
    local sm4_path="" skip=0 w
    for w in "$@"; do
        if [ "$skip" = 1 ]; then skip=0; continue; fi
        case " $(_sm4_value_options "$sm4_path") " in *" $w "*) skip=1; continue ;; esac
        case " $(_sm4_commands "$sm4_path") " in *" $w "*) sm4_path="${sm4_path:+$sm4_path }$w" ;; esac
    done
    echo "$sm4_path"
}
)sh";
    return text;
}

constexpr const char* bash_driver = R"sh(_sm4_experiments() {
    local f
    for f in experiments/*.toml; do
        [ -e "$f" ] || continue
        f="${f##*/}"
        echo "${f%.toml}"
    done
}
_sm4() {
    local cur="${COMP_WORDS[COMP_CWORD]}" prev="${COMP_WORDS[COMP_CWORD-1]}" cmd
    cmd="$(_sm4_path "${COMP_WORDS[@]:1:COMP_CWORD-1}")"
    COMPREPLY=()
    case "$prev" in
        -s|--set)
            COMPREPLY=($(compgen -W "$(_sm4_config_keys)" -- "$cur"))
            compopt -o nospace 2>/dev/null
            return 0 ;;
        -c|--config|--base)
            COMPREPLY=($(compgen -W "$(_sm4_experiments)" -- "$cur"))
            compopt -o filenames 2>/dev/null
            mapfile -t -O "${#COMPREPLY[@]}" COMPREPLY < <(compgen -f -- "$cur")
            return 0 ;;
    esac
    # Another option's value: leave it to readline's file names.
    case " $(_sm4_value_options "$cmd") " in *" $prev "*) return 0 ;; esac
    if [[ "$cur" == -* ]]; then
        COMPREPLY=($(compgen -W "$(_sm4_options "$cmd")" -- "$cur"))
        return 0
    fi
    local subcommands
    subcommands="$(_sm4_commands "$cmd")"
    if [ -n "$subcommands" ]; then
        COMPREPLY=($(compgen -W "$subcommands" -- "$cur"))
    elif _sm4_takes_experiment "$cmd"; then
        COMPREPLY=($(compgen -W "$(_sm4_experiments)" -- "$cur"))
    fi
    return 0
}
complete -o bashdefault -o default -F _sm4 sm4
)sh";

constexpr const char* zsh_driver = R"sh(_sm4_experiments() {
    local f
    for f in experiments/*.toml(N); do
        f="${f:t}"
        echo "${f%.toml}"
    done
}
_sm4() {
    local cur="${words[CURRENT]}" prev="${words[CURRENT-1]}" cmd
    cmd="$(_sm4_path "${(@)words[2,CURRENT-1]}")"
    case "$prev" in
        -s|--set) compadd -S '' -- ${=$(_sm4_config_keys)}; return ;;
        -c|--config|--base) compadd -- ${=$(_sm4_experiments)}; _files; return ;;
    esac
    if [[ " $(_sm4_value_options "$cmd") " == *" $prev "* ]]; then _files; return; fi
    if [[ "$cur" == -* ]]; then compadd -- ${=$(_sm4_options "$cmd")}; return; fi
    local subcommands="$(_sm4_commands "$cmd")"
    if [[ -n "$subcommands" ]]; then compadd -- ${=subcommands}; return; fi
    if _sm4_takes_experiment "$cmd"; then compadd -- ${=$(_sm4_experiments)}; fi
    _files
}
compdef _sm4 sm4
)sh";

}  // namespace

std::string completion_script(const CLI::App& app, Shell shell) {
    const bool bash = shell == Shell::Bash;
    std::string text = bash ? "# bash completion for sm4, from `sm4 completion bash`; install: source <(sm4 completion bash)\n"
                            : "#compdef sm4\n# zsh completion for sm4, from `sm4 completion zsh`; install (after compinit): "
                              "source <(sm4 completion zsh)\n";
    text += shared_functions(app);
    text += bash ? bash_driver : zsh_driver;
    return text;
}

}  // namespace sm4::cli

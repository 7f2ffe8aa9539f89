// The command line as people expect it: typos get a suggestion, every usage error is one line
// with exit code 2, --config takes experiment names, and bash/zsh completion scripts.
#include <catch.hpp>

#include <algorithm>
#include <fstream>

#include "../support/run_command.h"
#include "../support/temp_dir.h"

using sm4::test::run_command;
using sm4::test::run_sm4;
using sm4::test::TempDir;
using Catch::Matchers::Contains;

namespace {

// One line on stderr, "sm4: error: ...", and nothing on stdout.
void check_usage_error(const sm4::test::CommandResult& r, const std::string& message) {
    CHECK(r.exit_code == 2);
    CHECK(r.out.empty());
    CHECK(r.err.rfind("sm4: error: ", 0) == 0);
    CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
    CHECK_THAT(r.err, Contains(message));
}

std::string write_completion(const TempDir& dir, const std::string& shell) {
    const auto r = run_sm4("completion " + shell);
    REQUIRE(r.exit_code == 0);
    const auto path = (dir / ("sm4." + shell)).string();
    std::ofstream(path) << r.out;
    return path;
}

}  // namespace

TEST_CASE("cli: a mistyped command gets the closest command, at any depth", "[cli][usability]") {
    check_usage_error(run_sm4("trian"), "sm4: error: unknown command 'trian' (did you mean 'train'?)");
    check_usage_error(run_sm4("runs lsit"), "sm4: error: runs: unknown command 'lsit' (did you mean 'list'?)");
    check_usage_error(run_sm4("runs --db x.db lsit"), "unknown command 'lsit' (did you mean 'list'?)");
    // Nothing close: no guess, a pointer to the list instead.
    check_usage_error(run_sm4("xyzzy"), "unknown command 'xyzzy' (see sm4 --help)");
    check_usage_error(run_sm4("runs"), "runs: a command is required: list, show");
}

TEST_CASE("cli: every parse error is one 'sm4: error:' line with exit code 2", "[cli][usability]") {
    check_usage_error(run_sm4("runs merge a.db"), "runs merge: --out is required");
    check_usage_error(run_sm4("train --devcie cpu"), "train: unknown option '--devcie' (did you mean '--device'?)");
    check_usage_error(run_sm4("train --bogus"), "train: unknown option '--bogus' (see sm4 train --help)");
    check_usage_error(run_sm4("inspect a.h5 b.h5"), "inspect: unexpected argument 'b.h5' (see sm4 inspect --help)");
    check_usage_error(run_sm4("sweep"), "sweep: experiment is required");
    check_usage_error(run_sm4("--bogus"), "unknown option '--bogus'");
}

TEST_CASE("cli: train --device names --device and the valid devices", "[cli][usability]") {
    const auto r = run_sm4("train --config minibench --device gpu");
    check_usage_error(r, "--device: expected one of \"cpu\", \"cuda\", found \"gpu\"");
    CHECK_THAT(r.err, !Contains("train.device") && !Contains("--set"));
}

TEST_CASE("cli: --config takes an experiment's name; a key=value gets a --set hint", "[cli][usability]") {
    TempDir dir;
    std::filesystem::create_directories(dir / "experiments");
    std::ofstream(dir / "experiments" / "mine.toml") << "[train]\nepochs = 7\n";
    const std::string here = "cd " + dir.path().string() + " && SM4_NO_PROGRESS=1 " + SM4_BINARY;

    auto r = run_command(here + " config --config mine");
    CHECK(r.exit_code == 0);
    CHECK_THAT(r.out, Contains("epochs = 7") && Contains("mine.toml"));
    r = run_command(here + " config --config minibench");  // not here: the source tree's experiments/
    CHECK(r.exit_code == 0);
    CHECK_THAT(r.out, Contains("experiments/minibench.toml"));

    check_usage_error(run_sm4("train --config train.epochs=3"),
                      "--config 'train.epochs=3': no such file (did you mean --set train.epochs=3?)");
    check_usage_error(run_sm4("sweep train.epochs=3"),
                      "experiment 'train.epochs=3': no such file (did you mean --set train.epochs=3?)");
}

TEST_CASE("cli: sm4 completion bash completes commands, options, config keys and experiments", "[cli][usability]") {
    TempDir dir;
    const std::string script = write_completion(dir, "bash");
    CHECK_THAT(sm4::test::slurp(script), Contains("train") && Contains("model.num_experts="));
    CHECK(run_command("bash -n " + script).exit_code == 0);

    // Completes as bash would: COMP_WORDS and COMP_CWORD set, then the function the script registers.
    std::ofstream(dir / "complete.sh") << "source " << script << R"sh(
complete -p sm4 | grep -q -- '-F _sm4' || exit 3
reply() { COMP_WORDS=("$@"); COMP_CWORD=$(( $# - 1 )); COMPREPLY=(); _sm4; echo "${COMPREPLY[*]}"; }
echo "1: $(reply sm4 tr)"
echo "2: $(reply sm4 runs l)"
echo "3: $(reply sm4 train --set model.num_e)"
echo "4: $(reply sm4 train --config x --dev)"
echo "5: $(reply sm4 train --config mini)"
echo "6: $(reply sm4 sweep minibench-a)"
)sh";
    const auto r = run_command("cd " + std::string(SM4_SOURCE_DIR) + " && bash " + (dir / "complete.sh").string());
    CHECK(r.exit_code == 0);
    CHECK_THAT(r.out, Contains("1: train\n"));
    CHECK_THAT(r.out, Contains("2: list\n"));
    CHECK_THAT(r.out, Contains("3: model.num_experts=\n"));
    CHECK_THAT(r.out, Contains("4: --device\n"));
    CHECK_THAT(r.out, Contains("5: ") && Contains("minibench"));
    CHECK_THAT(r.out, Contains("6: minibench-ablation\n"));
}

TEST_CASE("cli: sm4 completion zsh is valid zsh with the same tables", "[cli][usability]") {
    TempDir dir;
    const std::string script = write_completion(dir, "zsh");
    CHECK_THAT(sm4::test::slurp(script), Contains("#compdef sm4") && Contains("model.num_experts=") &&
                                             Contains("compdef _sm4 sm4"));
    if (run_command("command -v zsh").exit_code == 0) CHECK(run_command("zsh -n " + script).exit_code == 0);
    check_usage_error(run_sm4("completion fish"), "shell: expected one of \"bash\", \"zsh\", found \"fish\"");
}

// sm4's command line: build the application, run it, catch once, map errors to exit codes.
#include <CLI/CLI.hpp>
#include <fmt/core.h>

#include <cstdio>

#include "commands.h"
#include "console_observer.h"
#include "core/errors.h"
#include "core/interrupt.h"
#include "core/text.h"
#include "parse_error.h"
#include "platform/build_info.h"

int main(int argc, char** argv) {
    CLI::App app{"sm4: sparse mixture-of-experts for multi-modal multi-task learning", "sm4"};
    app.set_version_flag("--version", [] { return sm4::describe_build(sm4::build_info()); },
                         "Print version, git revision, LibTorch, CUDA, BLAS and threads");
    app.require_subcommand(1);
    app.fallthrough();
    sm4::cli::add_reproduce_command(app);
    sm4::cli::add_preprocess_command(app);
    sm4::cli::add_inspect_command(app);
    sm4::cli::add_train_command(app);
    sm4::cli::add_sweep_command(app);
    sm4::cli::add_eval_command(app);
    sm4::cli::add_flops_command(app);
    sm4::cli::add_runs_command(app);
    sm4::cli::add_report_command(app);
    sm4::cli::add_config_command(app);
    sm4::cli::add_bench_command(app);
    sm4::cli::add_completion_command(app);
    sm4::install_interrupt_handler();
    sm4::cli::ConsoleObserver console;
    const sm4::ObserverScope shown(console);
    app.add_flag_callback("-q,--quiet", [&console] { console.set_verbosity(sm4::cli::Verbosity::Quiet); },
                          "Only results, warnings and errors: no start, progress or epoch lines");
    app.add_flag_callback("-v,--verbose", [&console] { console.set_verbosity(sm4::cli::Verbosity::Verbose); },
                          "Also each task's loss on the progress lines");

    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForAllHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForVersion& e) {
        return app.exit(e);
    } catch (const CLI::ParseError& e) {
        std::fprintf(stderr, "sm4: error: %s\n", sm4::cli::parse_error_message(app, e).c_str());
        return 2;
    } catch (const sm4::Error& e) {
        std::fprintf(stderr, "sm4: error: %s\n", sm4::one_line(e.what()).c_str());
        return e.exit_code();
    } catch (const std::exception& e) {
        std::fprintf(stderr, "sm4: internal error: %s\n", sm4::one_line(e.what()).c_str());
        return 1;
    }
    return 0;
}

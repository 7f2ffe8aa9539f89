// One function per subcommand; each adds its options and a callback calling one library function.
#pragma once

#include <CLI/CLI.hpp>

namespace sm4::cli {

void add_preprocess_command(CLI::App& app);
void add_inspect_command(CLI::App& app);
void add_config_command(CLI::App& app);
void add_runs_command(CLI::App& app);
void add_train_command(CLI::App& app);
void add_eval_command(CLI::App& app);
void add_reproduce_command(CLI::App& app);
void add_sweep_command(CLI::App& app);
void add_flops_command(CLI::App& app);
void add_bench_command(CLI::App& app);
void add_report_command(CLI::App& app);
// Add last: the script it prints is made from every command added before it.
void add_completion_command(CLI::App& app);

}  // namespace sm4::cli

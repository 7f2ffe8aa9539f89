#include "sweep/child_log.h"

#include <fstream>
#include <system_error>

namespace sm4 {
namespace {

std::filesystem::path logs_folder(const SweepRun& run) {
    return std::filesystem::path(run.config.values.output.runs_dir) / "sweep-logs";
}

std::string name_suffix(const SweepRun& run) {
    return "-" + run.variant + (run.task.empty() ? "" : "-" + run.task) + ".log";
}

// The run folder a start line names: "run 12 started (...): folder results/runs/12, database ...".
std::optional<std::string> started_folder(const std::string& line) {
    if (line.rfind("run ", 0) != 0) return std::nullopt;
    const auto at = line.find(": folder ");
    if (at == std::string::npos || (line.find(" started") > at && line.find(" resumed") > at)) return std::nullopt;
    const auto begin = at + 9, end = line.find(", database ", begin);
    if (end == std::string::npos) return std::nullopt;
    return std::filesystem::path(line.substr(begin, end - begin)).filename().string();
}

bool is_progress_line(const std::string& line) {
    return line.rfind("run ", 0) == 0 && line.find(": step ") != std::string::npos;
}

}  // namespace

std::filesystem::path child_log_name(const SweepRun& run, const std::string& run_folder_name) {
    return logs_folder(run) / (run_folder_name + name_suffix(run));
}

ChildLog::ChildLog(const SweepRun& run, const std::filesystem::path& resumed_folder)
    : folder_(logs_folder(run)), suffix_(name_suffix(run)), pending_(resumed_folder.empty()) {
    path_ = pending_ ? folder_ / ("pending-" + run.config_hash + ".log")
                     : child_log_name(run, resumed_folder.filename().string());
}

std::optional<std::string> ChildLog::poll() {
    std::ifstream in(path_);
    std::string line;
    std::optional<std::string> progress, folder;
    while (std::getline(in, line)) {
        if (is_progress_line(line)) progress = line;
        else if (pending_ && !folder) folder = started_folder(line);
    }
    if (pending_ && folder) {
        const auto named = folder_ / (*folder + suffix_);
        std::error_code ec;
        // The child keeps writing to the same file under its new name.
        if (!std::filesystem::exists(named, ec)) {
            std::filesystem::rename(path_, named, ec);
            if (!ec) path_ = named;
        }
        pending_ = false;
    }
    return progress;
}

}  // namespace sm4

// The processes of `sm4 sweep --jobs N`: each run is a child sm4 process, so N trainings run at
// once, each with its own LibTorch threads, all writing to one results database.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace sm4 {

// This executable, to start children of the same build (even if the file is replaced meanwhile).
inline constexpr const char* kOwnExecutable = "/proc/self/exe";

// Starts `program` with `argv` (argv[0] the name it sees) with its stdout and stderr appended to
// `log`, where it writes a plain progress line every 10 s (SM4_PROGRESS_SECONDS, unless set). The child gets a process group of its own, so a terminal's Ctrl-C reaches
// only the sweep, which passes one SIGINT on; and it gets SIGINT when the sweep dies, so it
// checkpoints rather than trains on unwatched. Throws IoError when it cannot start.
pid_t start_child(const std::string& program, const std::vector<std::string>& argv, const std::filesystem::path& log);

// The general form: `log` nullopt keeps the parent's stdout and stderr (and its stdin closed);
// `environment` is added to the parent's (NAME=value, replacing a variable of the same name);
// `own_process_group` false keeps the child in the parent's group, so a terminal's Ctrl-C
// reaches it directly (the ranks of `sm4 train --nproc`).
struct ChildSpec {
    std::string program = kOwnExecutable;
    std::vector<std::string> argv;
    std::optional<std::filesystem::path> log;
    std::vector<std::string> environment;
    bool own_process_group = true;
};
pid_t start_child(const ChildSpec& spec);

struct ChildExit {
    pid_t pid = 0;
    int exit_code = 0;  // its exit status, or 128 + the signal that ended it
};

// One child that has ended, without waiting; nullopt when none has.
std::optional<ChildExit> ended_child();

// The last line of a file that is not empty (a child's error message in its log); "" if none.
std::string last_line(const std::filesystem::path& file);

}  // namespace sm4

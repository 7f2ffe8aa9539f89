#include "sweep/child_process.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>

#include "core/errors.h"

extern char** environ;

namespace sm4 {
namespace {

std::vector<char*> pointers(std::vector<std::string>& strings) {
    std::vector<char*> out;
    for (auto& s : strings) out.push_back(s.data());
    out.push_back(nullptr);
    return out;
}

std::string variable_name(const std::string& entry) { return entry.substr(0, entry.find('=')); }

// The parent's environment with `added` (NAME=value) replacing what it names.
std::vector<std::string> child_environment(const std::vector<std::string>& added) {
    std::vector<std::string> environment;
    for (char** entry = environ; *entry; ++entry) {
        const std::string name = variable_name(*entry);
        bool replaced = false;
        for (const auto& a : added) replaced = replaced || variable_name(a) == name;
        if (!replaced) environment.emplace_back(*entry);
    }
    environment.insert(environment.end(), added.begin(), added.end());
    return environment;
}

}  // namespace

pid_t start_child(const std::string& program, const std::vector<std::string>& argv, const std::filesystem::path& log) {
    ChildSpec spec;
    spec.program = program;
    spec.argv = argv;
    spec.log = log;
    // Plain progress lines in the log (its stderr is no terminal), often enough for the sweep to show.
    if (std::getenv("SM4_PROGRESS_SECONDS") == nullptr) spec.environment = {"SM4_PROGRESS_SECONDS=10"};
    return start_child(spec);
}

pid_t start_child(const ChildSpec& spec) {
    int log_fd = -1;
    if (spec.log) {
        std::filesystem::create_directories(spec.log->parent_path());
        log_fd = open(spec.log->c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
        if (log_fd < 0)
            throw IoError(fmt::format("{}: cannot open the run's log: {}", spec.log->string(), std::strerror(errno)));
    }
    // Everything the child needs is built before fork: after it, only async-signal-safe calls.
    std::vector<std::string> arguments = spec.argv, environment = child_environment(spec.environment);
    const auto argv_pointers = pointers(arguments), environment_pointers = pointers(environment);
    const pid_t parent = getpid();
    const pid_t pid = fork();
    if (pid == 0) {
        if (spec.own_process_group) setpgid(0, 0);
        prctl(PR_SET_PDEATHSIG, SIGINT);
        if (getppid() != parent) _exit(130);  // the parent died before prctl took effect
        if (log_fd >= 0) {
            dup2(log_fd, STDOUT_FILENO);
            dup2(log_fd, STDERR_FILENO);
        }
        const int null_fd = open("/dev/null", O_RDONLY);
        if (null_fd >= 0) dup2(null_fd, STDIN_FILENO);
        execve(spec.program.c_str(), argv_pointers.data(), environment_pointers.data());
        _exit(127);
    }
    if (log_fd >= 0) close(log_fd);
    if (pid < 0) throw IoError(fmt::format("cannot start a child process of {}: {}", spec.program, std::strerror(errno)));
    return pid;
}

std::optional<ChildExit> ended_child() {
    int status = 0;
    const pid_t pid = waitpid(-1, &status, WNOHANG);
    if (pid <= 0) return std::nullopt;
    const int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    return ChildExit{pid, code};
}

std::string last_line(const std::filesystem::path& file) {
    std::ifstream in(file);
    std::string line, last;
    while (std::getline(in, line))
        if (!line.empty()) last = line;
    return last;
}

}  // namespace sm4

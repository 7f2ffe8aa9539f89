#include "app/local_ranks.h"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <iterator>
#include <map>
#include <optional>
#include <thread>

#include "core/errors.h"
#include "sweep/child_process.h"

namespace sm4 {
namespace {

using Clock = std::chrono::steady_clock;

struct RankExit {
    int rank = 0, exit_code = 0;
};

// Sends `signal` to every rank still running.
void signal_ranks(const std::map<pid_t, int>& running, int signal) {
    for (const auto& [pid, rank] : running) kill(pid, signal);
}

}  // namespace

std::vector<std::string> own_command_line() {
    std::ifstream in("/proc/self/cmdline", std::ios::binary);
    const std::string all((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (all.empty()) throw IoError("/proc/self/cmdline: cannot read this process's arguments");
    std::vector<std::string> arguments;
    std::size_t start = 0;
    while (start < all.size()) {
        const std::size_t end = all.find('\0', start);
        arguments.push_back(all.substr(start, end == std::string::npos ? std::string::npos : end - start));
        if (end == std::string::npos) break;
        start = end + 1;
    }
    return arguments;
}

int free_local_port() {
    const int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) throw IoError(fmt::format("cannot open a socket to find a free port: {}", std::strerror(errno)));
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = 0;
    socklen_t length = sizeof address;
    const bool ok = bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0 &&
                    getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0;
    const int error = errno;
    close(fd);
    if (!ok) throw IoError(fmt::format("cannot find a free port on 127.0.0.1: {}", std::strerror(error)));
    return ntohs(address.sin_port);
}

void run_local_ranks(int nproc, double grace_s) {
    const std::vector<std::string> arguments = own_command_line();
    const int port = free_local_port();
    std::map<pid_t, int> running;  // pid -> rank
    try {
        for (int rank = 0; rank < nproc; ++rank) {
            ChildSpec spec;
            spec.argv = arguments;
            spec.own_process_group = false;  // Ctrl-C on the terminal reaches every rank
            spec.environment = {fmt::format("RANK={}", rank), fmt::format("WORLD_SIZE={}", nproc),
                                fmt::format("LOCAL_RANK={}", rank), fmt::format("LOCAL_WORLD_SIZE={}", nproc),
                                "MASTER_ADDR=127.0.0.1", fmt::format("MASTER_PORT={}", port)};
            running.emplace(start_child(spec), rank);
        }
    } catch (...) {
        signal_ranks(running, SIGKILL);
        throw;
    }

    std::optional<RankExit> first_failure;
    std::optional<Clock::time_point> failed_at;
    bool interrupted = false;
    while (!running.empty()) {
        int status = 0;
        const pid_t pid = waitpid(-1, &status, WNOHANG);
        if (pid > 0 && running.count(pid)) {
            const int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
            if (code != 0 && !first_failure) {
                first_failure = RankExit{running.at(pid), code};
                failed_at = Clock::now();
            }
            running.erase(pid);
            continue;
        }
        if (pid < 0 && errno != EINTR) break;  // no children left to wait for
        if (failed_at && !interrupted && Clock::now() - *failed_at > std::chrono::duration<double>(grace_s)) {
            signal_ranks(running, SIGINT);
            interrupted = true;
        } else if (failed_at && interrupted &&
                   Clock::now() - *failed_at > std::chrono::duration<double>(grace_s + 30.0)) {
            signal_ranks(running, SIGKILL);
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    if (first_failure)
        throw DistributedError(fmt::format("rank {} of {} local ranks exited with status {} (its message is above)",
                                           first_failure->rank, nproc, first_failure->exit_code),
                               first_failure->exit_code);
}

}  // namespace sm4

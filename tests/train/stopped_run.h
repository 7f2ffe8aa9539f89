// Runs of `sm4 train` stopped from outside (SIGKILL, SIGINT) once they have checkpointed, for
// the resume tests.
#pragma once

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "io/results_db.h"
#include "training_fixture.h"

namespace sm4::test {

// Starts `sm4 train` with the experiment's overrides; returns its pid.
inline pid_t start_training(const SmallExperiment& experiment, const std::vector<std::string>& extra) {
    const std::string command = std::string("exec ") + SM4_BINARY + " train" + experiment.set_arguments(extra) +
                                " >/dev/null 2>&1";
    const pid_t pid = fork();
    if (pid == 0) {
        setenv("SM4_NO_PROGRESS", "1", 1);
        execl("/bin/sh", "sh", "-c", command.c_str(), static_cast<char*>(nullptr));
        _exit(127);
    }
    return pid;
}

// Waits until run 1 has `checkpoints` checkpoints (or the process ends), then sends `signal`.
inline int stop_after_checkpoints(pid_t pid, const std::string& database, std::size_t checkpoints, int signal) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
    int status = 0;
    while (std::chrono::steady_clock::now() < deadline) {
        if (waitpid(pid, &status, WNOHANG) == pid) return status;  // ended by itself: too late
        if (std::filesystem::exists(database)) {
            try {
                if (ResultsDb(database).checkpoints(1).size() >= checkpoints) break;
            } catch (const std::exception&) {
                // the writer may be creating the schema right now
            }
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    kill(pid, signal);
    waitpid(pid, &status, 0);
    return status;
}

}  // namespace sm4::test

// Typed errors of the sm4 library. The library never prints usage or exits: it throws one of
// these, and the command-line front end catches them once and maps them to exit codes.
#pragma once

#include <stdexcept>
#include <string>

namespace sm4 {

// Base of every error sm4 raises on purpose.
class Error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
    virtual int exit_code() const { return 1; }
};

// The command line was wrong: unknown subcommand, unknown dataset name, missing argument.
class UsageError : public Error {
public:
    using Error::Error;
    int exit_code() const override { return 2; }
};

// A configuration file or override was wrong: unknown key, wrong type, value out of range.
class ConfigError : public Error {
public:
    using Error::Error;
    int exit_code() const override { return 2; }
};

// Input data was wrong: truncated or corrupt file, wrong dimensions, label out of range.
class DataError : public Error {
public:
    using Error::Error;
};

// The file system or a storage library failed: cannot open, cannot write, cannot rename.
class IoError : public Error {
public:
    using Error::Error;
};

// Training diverged or could not continue (a NaN or infinite loss, a resume that cannot match).
class TrainingError : public Error {
public:
    using Error::Error;
};

// A data-parallel group failed: a rank died or stopped answering, or the ranks disagree. The
// launcher of local ranks passes a rank's own exit status on (130 for Ctrl-C, 2 for bad usage).
class DistributedError : public Error {
public:
    explicit DistributedError(const std::string& message, int exit_code = 1) : Error(message), exit_code_(exit_code) {}
    int exit_code() const override { return exit_code_; }

private:
    int exit_code_;
};

// The user interrupted a long job (Ctrl-C); whatever could be saved has been saved.
class InterruptedError : public Error {
public:
    using Error::Error;
    int exit_code() const override { return 130; }
};

}  // namespace sm4

// What this binary is and what it runs on: versions, CUDA, BLAS and threads. Recorded with every
// run and dataset so results can be traced to the build that made them.
#pragma once

#include <string>

namespace sm4 {

struct BuildInfo {
    std::string sm4_version;     // "0.1.0"
    std::string git_revision;    // `git describe` at build time, "unknown" outside git
    std::string build_type;      // meson buildtype
    std::string compiler;
    std::string torch_version;   // LibTorch the binary was built against
    bool cuda_compiled = false;  // built against a LibTorch with CUDA
    bool cuda_available = false; // and a GPU is usable now
    std::string blas;            // the BLAS library matrix products resolve to
    int threads = 0;             // intra-op threads LibTorch uses
};

BuildInfo build_info();

// "sm4 0.1.0 (abc123def456)".
std::string sm4_version_string();

// Multi-line text for `sm4 --version`.
std::string describe_build(const BuildInfo& info);

// One line for databases and logs: "sm4 0.1.0 (rev) torch 1.13.0 release gcc 12.2.0 blas openblas".
std::string build_summary(const BuildInfo& info);

}  // namespace sm4

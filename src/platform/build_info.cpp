#include "platform/build_info.h"

#include <ATen/Parallel.h>
#include <dlfcn.h>
#include <fmt/format.h>
#include <torch/cuda.h>
#include <torch/version.h>

#include <climits>
#include <cstdlib>

#include "git_revision.h"
#include "sm4_build_config.h"

namespace sm4 {
namespace {

// Which shared object the Fortran BLAS symbol sgemm_ resolves to, with symlinks (Debian's
// alternatives) followed: the reference BLAS is ~50x slower than OpenBLAS for matrix products.
std::string detect_blas() {
    void* symbol = dlsym(RTLD_DEFAULT, "sgemm_");
    if (dlsym(RTLD_DEFAULT, "mkl_get_version")) return "Intel MKL";
    if (!symbol) return "built into LibTorch (no external BLAS)";
    Dl_info info{};
    if (!dladdr(symbol, &info) || !info.dli_fname) return "unknown";
    char resolved[PATH_MAX];
    const std::string path = realpath(info.dli_fname, resolved) ? resolved : info.dli_fname;
    std::string name = "reference BLAS (slow: install libopenblas0-pthread)";
    if (path.find("openblas") != std::string::npos || dlsym(RTLD_DEFAULT, "openblas_get_config")) name = "OpenBLAS";
    else if (path.find("blis") != std::string::npos) name = "BLIS";
    else if (path.find("atlas") != std::string::npos) name = "ATLAS";
    return name + " (" + path + ")";
}

}  // namespace

BuildInfo build_info() {
    BuildInfo info;
    info.sm4_version = SM4_VERSION;
    info.git_revision = SM4_GIT_REVISION;
    info.build_type = SM4_BUILD_TYPE;
    info.compiler = SM4_COMPILER;
    info.torch_version = TORCH_VERSION;
    info.cuda_compiled = SM4_WITH_CUDA;
    info.cuda_available = torch::cuda::is_available();
    info.blas = detect_blas();
    info.threads = at::get_num_threads();
    return info;
}

std::string sm4_version_string() { return fmt::format("sm4 {} ({})", SM4_VERSION, SM4_GIT_REVISION); }

std::string describe_build(const BuildInfo& i) {
    return fmt::format(
        "sm4 {}\n"
        "git revision:   {}\n"
        "build:          {}, {}\n"
        "LibTorch:       {}{}\n"
        "CUDA available: {}\n"
        "BLAS:           {}\n"
        "threads:        {}\n",
        i.sm4_version, i.git_revision, i.build_type, i.compiler, i.torch_version,
        i.cuda_compiled ? " (with CUDA)" : " (CPU only)", i.cuda_available ? "yes" : "no", i.blas, i.threads);
}

std::string build_summary(const BuildInfo& i) {
    return fmt::format("sm4 {} ({}) torch {}{} {} {} blas {}", i.sm4_version, i.git_revision, i.torch_version,
                       i.cuda_compiled ? "+cuda" : "", i.build_type, i.compiler, i.blas);
}

}  // namespace sm4

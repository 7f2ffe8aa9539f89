#include "core/atomic_file.h"

#include <fmt/format.h>
#include <unistd.h>

#include "core/errors.h"

namespace sm4 {

AtomicFile::AtomicFile(std::filesystem::path final_path) : final_path_(std::move(final_path)) {
    std::error_code ec;
    const auto parent = final_path_.parent_path();
    if (!parent.empty()) {
        std::filesystem::create_directories(parent, ec);
        if (ec) throw IoError(fmt::format("{}: cannot create folder: {}", parent.string(), ec.message()));
    }
    temp_path_ = final_path_;
    temp_path_ += fmt::format(".tmp-{}", static_cast<long>(getpid()));
}

AtomicFile::~AtomicFile() {
    if (!committed_) {
        std::error_code ec;
        std::filesystem::remove(temp_path_, ec);
    }
}

void AtomicFile::commit() {
    std::error_code ec;
    std::filesystem::rename(temp_path_, final_path_, ec);
    if (ec) throw IoError(fmt::format("{}: cannot move the finished file into place: {}", final_path_.string(), ec.message()));
    committed_ = true;
}

}  // namespace sm4

// Writes a file under a temporary name in the same folder and renames it into place only when
// the writer commits, so a failed or interrupted write never leaves a half-written output.
#pragma once

#include <filesystem>

namespace sm4 {

class AtomicFile {
public:
    explicit AtomicFile(std::filesystem::path final_path);  // creates the parent folder
    ~AtomicFile();                                          // removes the temporary unless committed
    AtomicFile(const AtomicFile&) = delete;
    AtomicFile& operator=(const AtomicFile&) = delete;

    const std::filesystem::path& temp_path() const { return temp_path_; }
    const std::filesystem::path& final_path() const { return final_path_; }
    void commit();  // renames the temporary onto the final path; throws IoError on failure

private:
    std::filesystem::path final_path_;
    std::filesystem::path temp_path_;
    bool committed_ = false;
};

}  // namespace sm4

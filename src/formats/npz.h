// numpy's .npz archives: a ZIP of .npy members, stored (np.savez) or deflated
// (np.savez_compressed). Members are read one at a time, straight into their arrays.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "formats/numpy_array.h"
#include "formats/zip_archive.h"

namespace sm4 {

class NpzArchive {
public:
    // Throws IoError when the file cannot be read, DataError naming it when it is not a ZIP.
    explicit NpzArchive(std::filesystem::path path) : zip_(std::move(path)) {}

    // Array names as np.load shows them: member names without ".npy" ("train_data").
    std::vector<std::string> names() const;
    bool contains(std::string_view name) const { return member(name) != nullptr; }

    // One member, by array name or member name ("train_data" or "train_data.npy"). Throws
    // DataError naming the archive and the member: absent (listing the members), or not a valid
    // .npy image (object arrays included).
    NumpyArray read(std::string_view name) const;

private:
    const ZipMember* member(std::string_view name) const;
    ZipArchive zip_;
};

}  // namespace sm4

#include "formats/byte_source.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>

#include "core/errors.h"

namespace sm4 {

bool ByteSource::read_exact(std::uint8_t* dst, std::size_t n, std::size_t* got) {
    std::size_t done = 0;
    while (done < n) {
        const std::size_t step = read_some(dst + done, n - done);
        if (step == 0) break;
        done += step;
    }
    if (got) *got = done;
    return done == n;
}

FileSource::FileSource(const std::filesystem::path& path) : FileSource(path, 0, UINT64_MAX) {}

FileSource::FileSource(const std::filesystem::path& path, std::uint64_t offset, std::uint64_t length)
    : path_(path) {
    std::error_code ec;
    if (!std::filesystem::is_regular_file(path, ec)) throw IoError(fmt::format("{}: no such file", path.string()));
    file_size_ = std::filesystem::file_size(path, ec);
    stream_.open(path, std::ios::binary);
    if (ec || !stream_) throw IoError(fmt::format("{}: cannot open", path.string()));
    offset = std::min(offset, file_size_);
    length_ = std::min(length, file_size_ - offset);
    stream_.seekg(static_cast<std::streamoff>(offset));
}

std::size_t FileSource::read_some(std::uint8_t* dst, std::size_t n) {
    n = static_cast<std::size_t>(std::min<std::uint64_t>(n, remaining()));
    if (n == 0) return 0;
    stream_.read(reinterpret_cast<char*>(dst), static_cast<std::streamsize>(n));
    const auto got = static_cast<std::size_t>(stream_.gcount());
    if (got == 0 && stream_.bad()) throw IoError(fmt::format("{}: read failed", path_.string()));
    position_ += got;
    return got;
}

std::size_t MemorySource::read_some(std::uint8_t* dst, std::size_t n) {
    n = static_cast<std::size_t>(std::min<std::uint64_t>(n, remaining()));
    if (n > 0) std::memcpy(dst, data_ + position_, n);
    position_ += n;
    return n;
}

std::vector<std::uint8_t> read_whole_file(const std::filesystem::path& path) {
    FileSource source(path);
    std::vector<std::uint8_t> bytes(static_cast<std::size_t>(source.remaining()));
    std::size_t got = 0;
    source.read_exact(bytes.data(), bytes.size(), &got);
    bytes.resize(got);
    return bytes;
}

}  // namespace sm4

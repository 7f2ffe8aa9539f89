// Sequential byte input for the format readers: a file (or a byte range of one, such as a stored
// ZIP member) or a block of memory. Readers pull exactly what they need, so a large array's
// payload goes straight from the file into its buffer without a whole-file copy.
#pragma once

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace sm4 {

class ByteSource {
public:
    virtual ~ByteSource() = default;
    // Reads up to n bytes into dst; fewer only at the end of the input.
    virtual std::size_t read_some(std::uint8_t* dst, std::size_t n) = 0;
    // Bytes left, when known (file ranges, memory); used to refuse absurd lengths before allocating.
    virtual std::uint64_t remaining() const = 0;

    // Reads n bytes; returns false (having read what there was) when the input ends first.
    bool read_exact(std::uint8_t* dst, std::size_t n, std::size_t* got = nullptr);
    std::uint64_t position() const { return position_; }

protected:
    std::uint64_t position_ = 0;  // bytes consumed so far
};

// Bytes [offset, offset + length) of a file. Throws IoError naming the file when it cannot be opened.
class FileSource : public ByteSource {
public:
    explicit FileSource(const std::filesystem::path& path);
    FileSource(const std::filesystem::path& path, std::uint64_t offset, std::uint64_t length);
    std::size_t read_some(std::uint8_t* dst, std::size_t n) override;
    std::uint64_t remaining() const override { return length_ - position_; }
    std::uint64_t file_size() const { return file_size_; }

private:
    std::filesystem::path path_;
    std::ifstream stream_;
    std::uint64_t file_size_ = 0;
    std::uint64_t length_ = 0;
};

class MemorySource : public ByteSource {
public:
    MemorySource(const std::uint8_t* data, std::size_t size) : data_(data), size_(size) {}
    std::size_t read_some(std::uint8_t* dst, std::size_t n) override;
    std::uint64_t remaining() const override { return size_ - position_; }

private:
    const std::uint8_t* data_;
    std::size_t size_;
};

// The whole file, for small inputs (headers, test fixtures). Throws IoError naming the file.
std::vector<std::uint8_t> read_whole_file(const std::filesystem::path& path);

}  // namespace sm4

// Buffered reading of a pickle's opcodes and arguments, with the byte offset of every read so
// errors can say where the file went wrong.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "formats/byte_source.h"

namespace sm4 {

class PickleInput {
public:
    PickleInput(ByteSource& source, std::string file) : source_(source), file_(std::move(file)) {}

    std::uint64_t offset() const { return consumed_ + next_; }
    bool at_end();

    // Each read throws DataError "<file>: byte N: file ends inside <what> (truncated pickle)".
    std::uint8_t byte(std::string_view what);
    std::uint64_t uint_le(std::size_t width, std::string_view what);  // width <= 8
    std::vector<std::uint8_t> bytes(std::uint64_t n, std::string_view what);
    std::string line(std::string_view what);  // up to '\n', which is consumed but not returned

private:
    bool refill();
    [[noreturn]] void truncated(std::string_view what) const;

    ByteSource& source_;
    std::string file_;
    std::vector<std::uint8_t> buffer_ = std::vector<std::uint8_t>(1 << 16);
    std::size_t next_ = 0;      // next unread byte in buffer_
    std::size_t end_ = 0;       // bytes held in buffer_
    std::uint64_t consumed_ = 0;  // bytes before buffer_[0]
};

}  // namespace sm4

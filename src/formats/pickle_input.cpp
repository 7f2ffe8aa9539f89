#include "formats/pickle_input.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>

#include "core/errors.h"

namespace sm4 {

namespace {
constexpr std::size_t kMaxLine = 1 << 20;  // text arguments are short; a longer line is corrupt
}

bool PickleInput::refill() {
    consumed_ += end_;
    next_ = 0;
    end_ = source_.read_some(buffer_.data(), buffer_.size());
    return end_ > 0;
}

bool PickleInput::at_end() { return next_ == end_ && !refill(); }

void PickleInput::truncated(std::string_view what) const {
    throw DataError(fmt::format("{}: byte {}: file ends inside {} (truncated pickle)", file_, offset(), what));
}

std::uint8_t PickleInput::byte(std::string_view what) {
    if (next_ == end_ && !refill()) truncated(what);
    return buffer_[next_++];
}

std::uint64_t PickleInput::uint_le(std::size_t width, std::string_view what) {
    std::uint64_t value = 0;
    for (std::size_t i = 0; i < width; ++i) value |= std::uint64_t{byte(what)} << (8 * i);
    return value;
}

std::vector<std::uint8_t> PickleInput::bytes(std::uint64_t n, std::string_view what) {
    if (n > (end_ - next_) + source_.remaining()) truncated(what);
    std::vector<std::uint8_t> out(static_cast<std::size_t>(n));
    const std::size_t buffered = std::min<std::size_t>(out.size(), end_ - next_);
    if (buffered > 0) std::memcpy(out.data(), buffer_.data() + next_, buffered);
    next_ += buffered;
    if (buffered < out.size()) {  // large payloads go straight from the source into place
        std::size_t got = 0;
        source_.read_exact(out.data() + buffered, out.size() - buffered, &got);
        consumed_ += got;
        if (buffered + got < out.size()) truncated(what);
    }
    return out;
}

std::string PickleInput::line(std::string_view what) {
    std::string text;
    while (true) {
        const std::uint8_t c = byte(what);
        if (c == '\n') return text;
        if (text.size() >= kMaxLine)
            throw DataError(fmt::format("{}: byte {}: {} argument is not a line of text", file_, offset(), what));
        text += static_cast<char>(c);
    }
}

}  // namespace sm4

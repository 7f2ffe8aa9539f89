// Decoders for the text arguments of protocol 0 opcodes (INT, LONG, FLOAT, STRING, UNICODE,
// PUT/GET). Each returns nullopt for malformed text; the reader turns that into an error with
// the byte offset.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

namespace sm4 {

// A decimal integer, optionally signed, optionally with Python 2's trailing 'L'; nullopt when
// malformed or outside int64.
std::optional<std::int64_t> parse_pickle_int(std::string_view text);

std::optional<double> parse_pickle_float(std::string_view text);

// The bytes of a Python 2 str repr: 'abc', "it's", with \\ \' \" \n \r \t \a \b \f \v \xHH and
// octal escapes.
std::optional<std::vector<std::uint8_t>> decode_string_repr(std::string_view text);

// raw-unicode-escape text (UNICODE opcode) as UTF-8: \uXXXX and \UXXXXXXXX escapes, every other
// byte a Latin-1 character.
std::optional<std::vector<std::uint8_t>> decode_raw_unicode_escape(std::string_view text);

// Bytes [0, size) read as a little-endian two's complement integer (LONG1, LONG4); nullopt
// when it does not fit int64.
std::optional<std::int64_t> decode_long_bytes(const std::uint8_t* bytes, std::size_t size);

}  // namespace sm4

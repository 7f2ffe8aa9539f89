#include "formats/zip_archive.h"

#include <fmt/format.h>
#include <zlib.h>

#include <algorithm>

#include "core/errors.h"

namespace sm4 {

namespace {

constexpr std::uint32_t kEndOfDirectory = 0x06054b50;
constexpr std::uint32_t kZip64EndOfDirectory = 0x06064b50;
constexpr std::uint32_t kZip64Locator = 0x07064b50;
constexpr std::uint32_t kDirectoryEntry = 0x02014b50;
constexpr std::uint32_t kLocalHeader = 0x04034b50;
constexpr std::size_t kEndOfDirectorySize = 22;
constexpr std::size_t kLocatorSize = 20;
constexpr std::uint32_t kSaturated32 = 0xffffffffu;

std::uint64_t le(const std::uint8_t* p, int bytes) {
    std::uint64_t value = 0;
    for (int i = bytes; i-- > 0;) value = (value << 8) | p[i];
    return value;
}

std::vector<std::uint8_t> read_range(const std::filesystem::path& path, std::uint64_t offset, std::uint64_t length) {
    FileSource source(path, offset, length);
    std::vector<std::uint8_t> bytes(static_cast<std::size_t>(source.remaining()));
    source.read_exact(bytes.data(), bytes.size());
    return bytes;
}

struct DirectoryLocation {
    std::uint64_t entries = 0;
    std::uint64_t offset = 0;
    std::uint64_t size = 0;
};

// Finds the end-of-central-directory record (the last 22 + up to 65535 comment bytes) and, when
// its fields are saturated, the ZIP64 record it points to.
DirectoryLocation locate_directory(const std::filesystem::path& path, std::uint64_t file_size) {
    const std::string where = path.string();
    const std::uint64_t tail_size = std::min<std::uint64_t>(file_size, kEndOfDirectorySize + 0xffff + kLocatorSize);
    const std::vector<std::uint8_t> tail = read_range(path, file_size - tail_size, tail_size);
    std::size_t at = tail.size() < kEndOfDirectorySize ? std::string::npos : tail.size() - kEndOfDirectorySize;
    while (at != std::string::npos && le(tail.data() + at, 4) != kEndOfDirectory) at = at == 0 ? std::string::npos : at - 1;
    if (at == std::string::npos)
        throw DataError(fmt::format("{}: not a ZIP archive (no end-of-central-directory record; expected an .npz "
                                    "written by numpy.savez)", where));
    const std::uint8_t* end = tail.data() + at;
    if (le(end + 4, 2) != le(end + 6, 2) || le(end + 8, 2) != le(end + 10, 2))
        throw DataError(fmt::format("{}: multi-disk (split) ZIP archives are not supported", where));
    DirectoryLocation location{le(end + 10, 2), le(end + 16, 4), le(end + 12, 4)};
    const bool zip64 = location.entries == 0xffff || location.offset == kSaturated32 || location.size == kSaturated32;
    if (!zip64) return location;
    if (at < kLocatorSize || le(end - kLocatorSize, 4) != kZip64Locator)
        throw DataError(fmt::format("{}: corrupt ZIP archive (saturated directory fields but no ZIP64 locator)", where));
    const std::uint64_t record_offset = le(end - kLocatorSize + 8, 8);
    const std::vector<std::uint8_t> record = read_range(path, record_offset, 56);
    if (record.size() < 56 || le(record.data(), 4) != kZip64EndOfDirectory)
        throw DataError(fmt::format("{}: corrupt ZIP archive (no ZIP64 end-of-directory record at byte {})", where,
                                    record_offset));
    return {le(record.data() + 32, 8), le(record.data() + 48, 8), le(record.data() + 40, 8)};
}

// Replaces saturated sizes and offset with the values of the ZIP64 extra field (id 1), which
// holds only the saturated ones, in this order.
void apply_zip64_extra(ZipMember& member, const std::uint8_t* extra, std::size_t length) {
    for (std::size_t at = 0; at + 4 <= length;) {
        const auto id = le(extra + at, 2);
        const auto size = static_cast<std::size_t>(le(extra + at + 2, 2));
        const std::uint8_t* field = extra + at + 4;
        const std::uint8_t* field_end = field + std::min(size, length - at - 4);
        if (id == 1) {
            for (std::uint64_t* value :
                 {&member.uncompressed_size, &member.compressed_size, &member.local_header_offset}) {
                if (*value != kSaturated32 || field + 8 > field_end) continue;
                *value = le(field, 8);
                field += 8;
            }
        }
        at += 4 + size;
    }
}

// The bytes of one member: the stored range of the file, inflated when deflated; the CRC-32 and
// size are checked once the last byte has been read.
class ZipMemberSource : public ByteSource {
public:
    ZipMemberSource(const std::filesystem::path& path, const ZipMember& member, std::uint64_t data_offset)
        : member_(member), where_(path.string() + "/" + member.name),
          compressed_(path, data_offset, member.compressed_size) {
        if (member.method == 8 && inflateInit2(&stream_, -MAX_WBITS) != Z_OK)
            throw DataError(fmt::format("{}: cannot start zlib", where_));
        inflating_ = member.method == 8;
    }
    ~ZipMemberSource() override {
        if (inflating_) inflateEnd(&stream_);
    }

    std::uint64_t remaining() const override { return member_.uncompressed_size - position_; }

    std::size_t read_some(std::uint8_t* dst, std::size_t n) override {
        n = static_cast<std::size_t>(std::min<std::uint64_t>(n, remaining()));
        const std::size_t got = inflating_ ? inflate_some(dst, n) : compressed_.read_some(dst, n);
        crc_ = crc32_z(crc_, dst, got);
        position_ += got;
        if (n > 0 && (got == 0 || remaining() == 0)) check_complete();
        return got;
    }

private:
    std::size_t inflate_some(std::uint8_t* dst, std::size_t n) {
        stream_.next_out = dst;
        stream_.avail_out = static_cast<uInt>(std::min<std::size_t>(n, 1u << 30));
        while (stream_.avail_out > 0 && !ended_) {
            if (stream_.avail_in == 0) {
                stream_.avail_in = static_cast<uInt>(compressed_.read_some(input_, sizeof input_));
                stream_.next_in = input_;
                if (stream_.avail_in == 0) break;  // compressed data ends early: check_complete reports it
            }
            const int status = inflate(&stream_, Z_NO_FLUSH);
            if (status == Z_STREAM_END) ended_ = true;
            else if (status != Z_OK && status != Z_BUF_ERROR)
                throw DataError(fmt::format("{}: corrupt deflate data ({})", where_, stream_.msg ? stream_.msg : "zlib"));
        }
        return static_cast<std::size_t>(stream_.next_out - dst);
    }

    void check_complete() const {
        if (remaining() != 0)
            throw DataError(fmt::format("{}: member ends after {} of its {} bytes (truncated archive)", where_,
                                        position_, member_.uncompressed_size));
        if (crc_ != member_.crc32)
            throw DataError(fmt::format("{}: CRC-32 mismatch (corrupt archive): stored {:08x}, computed {:08x}",
                                        where_, member_.crc32, crc_));
    }

    ZipMember member_;
    std::string where_;
    FileSource compressed_;
    z_stream stream_{};
    bool inflating_ = false;
    bool ended_ = false;
    uLong crc_ = crc32_z(0, nullptr, 0);
    std::uint8_t input_[1 << 16];
};

}  // namespace

ZipArchive::ZipArchive(std::filesystem::path path) : path_(std::move(path)) {
    const std::string where = path_.string();
    file_size_ = FileSource(path_).file_size();
    const DirectoryLocation location = locate_directory(path_, file_size_);
    if (location.offset + location.size > file_size_)
        throw DataError(fmt::format("{}: truncated ZIP archive (central directory past the end of the file)", where));
    const std::vector<std::uint8_t> directory = read_range(path_, location.offset, location.size);
    std::size_t at = 0;
    for (std::uint64_t i = 0; i < location.entries; ++i) {
        const std::uint8_t* entry = directory.data() + at;
        if (at + 46 > directory.size() || le(entry, 4) != kDirectoryEntry)
            throw DataError(fmt::format("{}: corrupt ZIP central directory (entry {} of {})", where, i + 1,
                                        location.entries));
        const auto name_length = static_cast<std::size_t>(le(entry + 28, 2));
        const auto extra_length = static_cast<std::size_t>(le(entry + 30, 2));
        const auto comment_length = static_cast<std::size_t>(le(entry + 32, 2));
        if (at + 46 + name_length + extra_length + comment_length > directory.size())
            throw DataError(fmt::format("{}: corrupt ZIP central directory (entry {} overruns it)", where, i + 1));
        ZipMember member;
        member.flags = static_cast<std::uint16_t>(le(entry + 8, 2));
        member.method = static_cast<std::uint16_t>(le(entry + 10, 2));
        member.crc32 = static_cast<std::uint32_t>(le(entry + 16, 4));
        member.compressed_size = le(entry + 20, 4);
        member.uncompressed_size = le(entry + 24, 4);
        member.local_header_offset = le(entry + 42, 4);
        member.name.assign(reinterpret_cast<const char*>(entry + 46), name_length);
        apply_zip64_extra(member, entry + 46 + name_length, extra_length);
        members_.push_back(std::move(member));
        at += 46 + name_length + extra_length + comment_length;
    }
}

std::vector<std::string> ZipArchive::member_names() const {
    std::vector<std::string> names;
    for (const auto& m : members_) names.push_back(m.name);
    return names;
}

const ZipMember* ZipArchive::find(std::string_view name) const {
    for (const auto& m : members_)
        if (m.name == name) return &m;
    return nullptr;
}

std::unique_ptr<ByteSource> ZipArchive::open(const ZipMember& member) const {
    const std::string where = path_.string() + "/" + member.name;
    if (member.flags & 1u) throw DataError(fmt::format("{}: encrypted ZIP members are not supported", where));
    if (member.method != 0 && member.method != 8)
        throw DataError(fmt::format("{}: ZIP compression method {} is not supported (expected 0 stored or 8 deflate)",
                                    where, member.method));
    const std::vector<std::uint8_t> local = read_range(path_, member.local_header_offset, 30);
    if (local.size() < 30 || le(local.data(), 4) != kLocalHeader)
        throw DataError(fmt::format("{}: corrupt ZIP archive (no local header at byte {})", where,
                                    member.local_header_offset));
    const std::uint64_t data_offset = member.local_header_offset + 30 + le(local.data() + 26, 2) + le(local.data() + 28, 2);
    if (data_offset + member.compressed_size > file_size_)
        throw DataError(fmt::format("{}: truncated ZIP archive (member data past the end of the file)", where));
    // Readers size their buffers from the uncompressed size: it must be what the stored bytes
    // can expand to (stored: equal; deflate: at most 1032x, plus a little for tiny members).
    const std::uint64_t most = member.method == 0 ? member.compressed_size : member.compressed_size * 1032 + 1024;
    if (member.uncompressed_size > most)
        throw DataError(fmt::format("{}: the directory claims {} uncompressed bytes from {} {} bytes, more than {} can "
                                    "hold; refusing to read it",
                                    where, member.uncompressed_size, member.compressed_size,
                                    member.method == 0 ? "stored" : "compressed",
                                    member.method == 0 ? "storing" : "deflate"));
    return std::make_unique<ZipMemberSource>(path_, member, data_offset);
}

}  // namespace sm4

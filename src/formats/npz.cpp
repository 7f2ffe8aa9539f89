#include "formats/npz.h"

#include <fmt/format.h>

#include "core/errors.h"
#include "core/text.h"
#include "formats/npy.h"

namespace sm4 {

namespace {

constexpr std::string_view kSuffix = ".npy";

std::string array_name(const std::string& member) {
    const bool suffixed = member.size() >= kSuffix.size() && member.compare(member.size() - kSuffix.size(),
                                                                            kSuffix.size(), kSuffix) == 0;
    return suffixed ? member.substr(0, member.size() - kSuffix.size()) : member;
}

}  // namespace

std::vector<std::string> NpzArchive::names() const {
    std::vector<std::string> names;
    for (const auto& m : zip_.members()) names.push_back(array_name(m.name));
    return names;
}

const ZipMember* NpzArchive::member(std::string_view name) const {
    if (const ZipMember* m = zip_.find(std::string(name) + std::string(kSuffix))) return m;
    return zip_.find(name);
}

NumpyArray NpzArchive::read(std::string_view name) const {
    const ZipMember* m = member(name);
    if (!m) {
        const std::vector<std::string> present = names();
        throw DataError(fmt::format("{}: no member '{}' (members: {}){}", zip_.path().string(), name,
                                    present.empty() ? "none" : join(present, ", "), did_you_mean(name, present)));
    }
    const auto source = zip_.open(*m);
    return read_npy(*source, zip_.path().string() + "/" + m->name);
}

}  // namespace sm4

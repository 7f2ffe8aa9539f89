#include "io/run_folder.h"

#include <fmt/format.h>

#include <fstream>
#include <sstream>
#include <string>

#include "core/errors.h"
#include "core/text.h"

namespace sm4 {

namespace {

constexpr const char* kOwnerFile = "owner";

std::string owner_record(std::int64_t run_id, const std::filesystem::path& database) {
    std::error_code ec;
    const auto absolute = std::filesystem::weakly_canonical(database, ec);
    return fmt::format("run {} of {}\n", run_id, (ec ? database : absolute).string());
}

}  // namespace

std::filesystem::path claim_run_folder(const std::filesystem::path& runs_dir, std::int64_t run_id,
                                       const std::filesystem::path& database) {
    std::error_code ec;
    std::filesystem::create_directories(runs_dir, ec);
    if (ec) throw IoError(fmt::format("{}: cannot create the runs folder: {}", runs_dir.string(), ec.message()));
    for (int attempt = 1; attempt <= 10000; ++attempt) {
        const std::string name =
            attempt == 1 ? std::to_string(run_id) : fmt::format("{}-{}", run_id, attempt);
        const auto folder = runs_dir / name;
        if (!std::filesystem::create_directory(folder, ec)) {
            if (ec) throw IoError(fmt::format("{}: cannot create the run folder: {}", folder.string(), ec.message()));
            continue;  // taken: by another database's run, or left over
        }
        const auto record = folder / kOwnerFile;
        std::ofstream out(record);
        out << owner_record(run_id, database);
        out.close();
        if (!out) throw IoError(fmt::format("{}: cannot write the run folder's ownership record", record.string()));
        return folder;
    }
    throw IoError(fmt::format("{}: no free folder name for run {} (tried {} and 10000 more)", runs_dir.string(),
                              run_id, run_id));
}

void check_run_folder_owner(const std::filesystem::path& folder, std::int64_t run_id,
                            const std::filesystem::path& database) {
    std::ifstream in(folder / kOwnerFile);
    if (!in) return;
    std::stringstream text;
    text << in.rdbuf();
    const std::string expected = owner_record(run_id, database);
    if (text.str() == expected) return;
    std::string found = text.str();
    if (!found.empty() && found.back() == '\n') found.pop_back();
    throw IoError(fmt::format("{}: the folder belongs to {}, not to run {} of {}; refusing to write into it",
                              folder.string(), printable(found), run_id, database.string()));
}

}  // namespace sm4

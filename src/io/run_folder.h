// Run folders: each run of each results database gets a folder of its own under output.runs_dir,
// claimed with an atomic mkdir and marked by an ownership record, so shards that share a
// runs_dir (one database each) never write into one another's folders.
#pragma once

#include <cstdint>
#include <filesystem>

namespace sm4 {

// Creates and returns a fresh folder for run `run_id` of `database` under `runs_dir`: "<id>" when
// free, else "<id>-2", "<id>-3", ... (mkdir fails on a folder that exists, so two processes never
// get the same one). Writes its ownership record, the file "owner". IoError naming the folder
// when it cannot.
std::filesystem::path claim_run_folder(const std::filesystem::path& runs_dir, std::int64_t run_id,
                                       const std::filesystem::path& database);

// Before a resumed run writes into `folder`: IoError naming the folder and both owners when its
// ownership record names another run or another database. A folder without a record (written by
// an sm4 older than the record) is accepted.
void check_run_folder_owner(const std::filesystem::path& folder, std::int64_t run_id,
                            const std::filesystem::path& database);

}  // namespace sm4

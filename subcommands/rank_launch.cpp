#include "rank_launch.h"

#include <fmt/core.h>

#include "app/local_ranks.h"
#include "core/errors.h"

namespace sm4::cli {

bool started_local_ranks(int nproc, const LaunchEnv& launch) {
    if (nproc <= 1) return false;
    if (!launch.distributed()) {
        run_local_ranks(nproc, 60.0);  // each rank is this same command line
        return true;
    }
    if (launch.world_size != nproc)
        throw UsageError(fmt::format("--nproc {} inside a group of {} ranks (WORLD_SIZE): let one launcher start the ranks",
                                     nproc, launch.world_size));
    return false;
}

void QuietOtherRanks::Warnings::notice(const NoticeEvent& event) {
    if (event.level == NoticeEvent::Level::Warning) fmt::print(stderr, "[rank {}] {}\n", rank_, event.text);
}

QuietOtherRanks::QuietOtherRanks(const LaunchEnv& launch) : warnings_(launch.rank) {
    if (launch.rank > 0) scope_.emplace(warnings_);
}

}  // namespace sm4::cli

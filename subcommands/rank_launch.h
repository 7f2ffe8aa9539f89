// What `sm4 train --nproc N` and `sm4 bench --e2e --nproc N` share: starting the local ranks when
// no launcher did, and keeping every rank but 0 quiet.
#pragma once

#include <optional>

#include "core/events.h"
#include "core/launch_env.h"

namespace sm4::cli {

// True when this process started `nproc` local ranks of its own command line and they have all
// ended (the caller is done); false when it is to run as a rank (or alone). UsageError when a
// launcher already made a group of another size.
bool started_local_ranks(int nproc, const LaunchEnv& launch);

// While alive, ranks other than 0 show nothing but their warnings, marked with the rank.
class QuietOtherRanks {
public:
    explicit QuietOtherRanks(const LaunchEnv& launch);

private:
    class Warnings : public Observer {
    public:
        explicit Warnings(int rank) : rank_(rank) {}
        void notice(const NoticeEvent& event) override;

    private:
        int rank_;
    };
    Warnings warnings_;
    std::optional<ObserverScope> scope_;
};

}  // namespace sm4::cli

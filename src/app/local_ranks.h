// `sm4 train --nproc N`, for users without torchrun: starts N copies of this very command line as
// the ranks of one data-parallel training on this machine, with the environment torchrun would
// give them (RANK, WORLD_SIZE, LOCAL_RANK, LOCAL_WORLD_SIZE, MASTER_ADDR=127.0.0.1 and a free
// MASTER_PORT), and waits for all of them.
#pragma once

#include <string>
#include <vector>

namespace sm4 {

// This process's own arguments (argv[0] included), as the kernel holds them.
std::vector<std::string> own_command_line();

// A TCP port on 127.0.0.1 that nothing listens on now.
int free_local_port();

// Runs the ranks; returns when every rank has ended. A rank that fails gives the others
// `grace_s` to notice on their own (they stop with a DistributedError) before they are
// interrupted. DistributedError carrying the first failed rank's exit status when any fails.
void run_local_ranks(int nproc, double grace_s);

}  // namespace sm4

// Ctrl-C handling for long jobs: the first SIGINT/SIGTERM only sets a flag that training loops
// poll at safe points (they checkpoint and stop); a second one ends the process at once.
#pragma once

namespace sm4 {

void install_interrupt_handler();
bool interrupt_requested();

}  // namespace sm4

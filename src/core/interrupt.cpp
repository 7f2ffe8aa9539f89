#include "core/interrupt.h"

#include <csignal>
#include <unistd.h>

namespace sm4 {
namespace {

volatile std::sig_atomic_t g_interrupts = 0;

void on_signal(int signal) {
    if (++g_interrupts > 1) _exit(128 + signal);
}

}  // namespace

void install_interrupt_handler() {
    struct sigaction action {};
    action.sa_handler = on_signal;
    sigemptyset(&action.sa_mask);
    sigaction(SIGINT, &action, nullptr);
    sigaction(SIGTERM, &action, nullptr);
}

bool interrupt_requested() { return g_interrupts > 0; }

}  // namespace sm4

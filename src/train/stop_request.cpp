#include "train/stop_request.hpp"

#include <csignal>
#include <initializer_list>

namespace moelaw::train {

namespace {
volatile std::sig_atomic_t g_signal = 0;
extern "C" void on_stop_signal(int sig) { g_signal = sig; }
}  // namespace

void install_stop_handlers() {
  struct sigaction sa {};
  sa.sa_handler = on_stop_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  sigset_t stops;
  sigemptyset(&stops);
  for (int sig : {SIGUSR1, SIGUSR2, SIGTERM, SIGINT}) {
    sigaction(sig, &sa, nullptr);
    sigaddset(&stops, sig);
  }
  // A mask inherited from whatever started us would hold the signal back forever; one already
  // pending (sent while we were starting) is delivered now, to the handler.
  sigprocmask(SIG_UNBLOCK, &stops, nullptr);
  // A file-size limit must make a checkpoint write fail with an error we report, not kill us.
  std::signal(SIGXFSZ, SIG_IGN);
}

bool stop_requested() { return g_signal != 0; }
int stop_signal() { return g_signal; }

}  // namespace moelaw::train

#pragma once
// Preemption: SIGUSR1, SIGUSR2, SIGTERM and SIGINT ask the trainer to finish the current step,
// checkpoint and exit with status 75 (resumable). The handler only sets a flag; the ranks agree
// on stopping (an all-reduce of the flag) so they all stop after the same step.
namespace moelaw::train {

void install_stop_handlers();
bool stop_requested();
int stop_signal();  // the signal that asked, 0 if none

}  // namespace moelaw::train

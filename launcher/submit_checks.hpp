#pragma once
// What `moelaw submit` (and --dry-run) checks before it queues anything, so that a grid with a
// missing shard or an unwritable directory fails once, at the desk, and not once per job.
#include <string>

#include "launcher/experiment_dir.hpp"
#include "launcher/plan.hpp"

namespace moelaw::launcher {

// Rewrites each run's relative data globs (data.train, data.val) as absolute ones under
// `workdir`, in its configuration and its settings: a job started in another directory reads the
// same files. Absolute globs are left as they are.
void resolve_relative_paths(Plan& plan, const std::string& workdir);

// Throws a UsageError naming the run, the key and the glob or file when a run could not start:
// a data glob that matches nothing; a match that is not a readable token shard; a token id that
// the run's vocabulary (model.vocab_size) does not hold; an experiment directory, or a run's
// directory in it, that cannot be created or written. Each shard is read once, however many
// runs share it. Runs already complete to their planned tokens are not checked: they will not
// start, and their data may be gone.
void check_run_inputs(const Plan& plan, const ExperimentDir& dir);

}  // namespace moelaw::launcher

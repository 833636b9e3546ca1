#pragma once
// What a training checkpoint holds: the training state (step, tokens, data position, optimizer
// steps, branch origin), written and read back here only, and every tensor whole, for the weights
// and both AdamW moments, whatever the expert-parallel layout of the ranks that wrote or read it.
#include <optional>
#include <string>
#include <vector>

#include "checkpoint/checkpoint_file.hpp"
#include "config/run_config.hpp"
#include "model/parameter_table.hpp"
#include "parallel/communicator.hpp"

namespace moelaw::train {

// One rank's weights and AdamW moments, laid out as its parameter table says.
struct OptimizerValues {
  std::vector<float> params, m, v;
};

// Where training stands between steps. The data order is a pure function of (seed, cursor), so the
// cursor is the whole random state of the data path; initialisation depends on the seed alone.
struct Progress {
  int64_t step = 0;
  int64_t tokens = 0;
  int64_t cursor = 0;  // training sequences consumed
};

// Everything a checkpoint holds besides the tensors, that a resumed run reads back.
struct TrainingState {
  Progress progress;
  int64_t adam_steps = 0;
  std::string branched_from;  // the checkpoint a branch started from ("" for none)
};

// Facts about the run that a checkpoint records for people and tools; not read back.
struct RunFacts {
  int64_t seed = 0, world_size = 0;
  double peak_lr = 0, decay_fraction = 0;
};

// A whole checkpoint as this rank reads it.
struct LoadedCheckpoint {
  std::string path;
  TrainingState state;
  OptimizerValues values;
};

// Writes `path` (through a temporary name): attributes and tensors by the writer, the gather of
// sharded experts by every rank of `experts` (see write_tensors). Only the writer passes writer.
void save_training_checkpoint(const std::string& path, const config::RunConfig& config, const TrainingState& state,
                              const RunFacts& facts, const model::ParameterTable& table, const OptimizerValues& mine,
                              parallel::Communicator* experts, bool writer);

// The checkpoint a branched run started from, as its checkpoints record it ("" for none).
std::string branched_from(const checkpoint::CheckpointData& attributes);

// Reads the whole state or nothing: throws CorruptCheckpoint for an unreadable, incomplete or
// checksum-failing file, UsageError for a checkpoint of another model shape.
LoadedCheckpoint load_training_checkpoint(const std::string& path, const config::RunConfig& config,
                                          const model::ParameterTable& table);

// The newest of `files` (oldest first) that loads; unreadable ones are skipped with a warning on
// stderr when `report`. nullopt when none loads.
std::optional<LoadedCheckpoint> load_newest_checkpoint(const std::vector<std::string>& files,
                                                       const config::RunConfig& config,
                                                       const model::ParameterTable& table, bool report);

// The model shape a checkpoint was written for must be the one we train (throws UsageError).
// `attributes`: a CheckpointReader's.
void check_compatible(const config::RunConfig& ours, const checkpoint::CheckpointData& attributes,
                      const std::string& path);

// Writes every tensor of `table` whole under params/, adam_m/ and adam_v/, one tensor at a time,
// so the writer holds at most one whole tensor beyond `mine`. Expert tensors that the ranks of
// `experts` split (a group of more than one rank) are gathered on its rank 0, which must be the
// writer: collective over `experts`, which every rank of the group calls with out == nullptr
// except the writer. If a write fails, the writer still takes part in the remaining gathers (the
// other ranks would wait for them forever) and throws at the end.
void write_tensors(const model::ParameterTable& table, const OptimizerValues& mine, parallel::Communicator* experts,
                   checkpoint::CheckpointWriter* out);

// This rank's part of a checkpoint's whole tensors, read one tensor at a time: an expert shard
// takes its experts' rows. Throws CorruptCheckpoint naming the file and tensor when one is
// missing, has the wrong size or fails its checksum.
OptimizerValues take_tensors(const model::ParameterTable& table, const checkpoint::CheckpointReader& in,
                             const std::string& path);

// Where a run starts: with --resume auto (`resume_from` = the run's checkpoints, oldest first)
// the newest that loads; else, or when none does, `init_from` (a branch, whose checkpoint must
// lie before `train.tokens`, with branched_from set to its absolute path: UsageError otherwise);
// else nullopt (fresh weights). Warnings go to stderr when `report`.
std::optional<LoadedCheckpoint> starting_checkpoint(const std::vector<std::string>& resume_from,
                                                    const std::string& init_from, const config::RunConfig& config,
                                                    const model::ParameterTable& table, bool report);

}  // namespace moelaw::train

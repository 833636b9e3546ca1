#pragma once
// What a training checkpoint holds besides its attributes: every tensor whole, for the weights and
// both AdamW moments, whatever the expert-parallel layout of the ranks that wrote or read it.
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

}  // namespace moelaw::train

#pragma once
// What a training checkpoint holds besides its attributes: every tensor whole, for the weights and
// both AdamW moments, whatever the expert-parallel layout of the ranks that wrote or read it.
#include <string>
#include <vector>

#include "checkpoint/checkpoint_file.hpp"
#include "config/run_config.hpp"
#include "model/parameter_table.hpp"

namespace moelaw::train {

// One rank's weights and AdamW moments, laid out as its parameter table says.
struct OptimizerValues {
  std::vector<float> params, m, v;
};

// The model shape a checkpoint was written for must be the one we train (throws UsageError).
void check_compatible(const config::RunConfig& ours, const checkpoint::CheckpointData& ckpt, const std::string& path);

// Stores every tensor of `table` whole under params/, adam_m/ and adam_v/. `experts_of_group`
// holds the expert region (values from table.replicated_total()) of each of the group_size ranks
// that split the experts, one after another in rank order; empty when this rank holds every expert.
void put_tensors(const model::ParameterTable& table, const OptimizerValues& mine,
                 const OptimizerValues& experts_of_group, int64_t group_size, checkpoint::CheckpointData& into);

// This rank's part of a checkpoint's whole tensors: an expert shard takes its experts' rows.
// Throws CorruptCheckpoint naming the file and tensor when one is missing or has the wrong size.
OptimizerValues take_tensors(const model::ParameterTable& table, const checkpoint::CheckpointData& ckpt,
                             const std::string& path);

}  // namespace moelaw::train

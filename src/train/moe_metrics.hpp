#pragma once
// The MoE routing statistics of one step, from what the model collected on each rank (its
// MoeStats), summed over the ranks and appended to the run's metrics as per-step series:
// moe/layerL/dropped_fraction, aux_loss, z_loss and load/expertE (fraction of the layer's choices).
#include "model/transformer.hpp"
#include "parallel/communicator.hpp"
#include "train/metrics_log.hpp"

namespace moelaw::train {

// Collective over `world`. Returns the fraction of all layers' choices dropped over capacity.
double record_moe_step(const model::MoeStats& mine, parallel::Communicator& world, MetricsLog& metrics);

}  // namespace moelaw::train

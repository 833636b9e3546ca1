#pragma once
// The communication of one training run: the expert-parallel groups of an MoE model, and the
// exchanges on the backend's buffers (NCCL between GPUs of their own, else MPI staged through
// host memory, as parallel.transport and parallel/exchange_factory.hpp decide): the token
// exchange between the ranks that split the experts, the data-parallel gradient all-reduce, and
// the expert gradients' all-reduce between the ranks that hold the same experts.
#include <memory>
#include <string>
#include <vector>

#include "backend/backend.hpp"
#include "config/run_config.hpp"
#include "model/gradient_buckets.hpp"
#include "parallel/communicator.hpp"
#include "parallel/device_exchange.hpp"

namespace moelaw::train {

struct TrainingExchanges {
  std::unique_ptr<parallel::Communicator> expert_group;     // MoE: ranks that split the experts
  std::unique_ptr<parallel::Communicator> expert_replicas;  // MoE: ranks that hold the same experts
  std::unique_ptr<parallel::DeviceExchange> experts;            // MoE: token rows within expert_group
  std::unique_ptr<parallel::DeviceExchange> gradients;          // the data-parallel all-reduce
  std::unique_ptr<parallel::DeviceExchange> expert_gradients;   // MoE: within expert_replicas
  bool overlap_gradients = false;  // all-reduce buckets as backward finishes them
  std::vector<std::string> notes;  // what was chosen and why, for the log
};

// Checks that the batch splits as an MoE model needs (UsageError), then splits the world into
// expert groups. Collective over `world`.
TrainingExchanges split_expert_groups(const config::RunConfig& config, parallel::Communicator& world);

// Makes the exchanges on `backend`'s buffers (after the backend: NCCL binds to the GPU the CUDA
// backend made current). Collective over `world`; every rank makes the same overlap choice.
void connect_exchanges(TrainingExchanges& x, const config::RunConfig& config, parallel::Communicator& world,
                       backend::Backend<float>& backend);

// With overlap, starts each bucket's all-reduce as backward finishes it; else empty (sum_gradients
// sums them all). `grads` is in the backend's memory.
model::GradientsReady bucket_reducer(TrainingExchanges& x, float* grads);

// After backward: completes the gradient sums (the replicated first `replicated` values over the
// world, the expert values after them over the ranks holding the same experts) and returns the
// norm √(Σ g²) of the whole model, the experts on other ranks of the group included.
double sum_gradients(TrainingExchanges& x, parallel::Communicator& world, backend::Backend<float>& backend,
                     float* grads, int64_t total, int64_t replicated);

}  // namespace moelaw::train

#include "train/exchanges.hpp"

#include <cmath>

#include "common/errors.hpp"
#include "parallel/exchange_factory.hpp"

namespace moelaw::train {

TrainingExchanges split_expert_groups(const config::RunConfig& cfg, parallel::Communicator& world) {
  TrainingExchanges x;
  if (cfg.model.experts <= 1) return x;
  // Ranks sharing experts exchange tokens in every MoE layer, so each must run the same
  // micro-batches: every step's sequences split evenly over the ranks.
  for (int64_t size : cfg.train.batch_ramp_sizes)
    if ((size / cfg.model.seq_len) % world.size() != 0)
      throw UsageError("train.batch_ramp_sizes: " + std::to_string(size / cfg.model.seq_len) +
                       " sequences per step do not split evenly over " + std::to_string(world.size()) +
                       " ranks, which an MoE model needs (rank " + std::to_string(world.rank()) + ")");
  if (cfg.train.tokens % (cfg.model.seq_len * world.size()) != 0)
    throw UsageError("train.tokens must be a multiple of seq_len x ranks for an MoE model");
  // Consecutive ranks split the experts; the ranks at the same place in every group hold the
  // same experts, and sum those experts' gradients among themselves.
  x.expert_group = world.split(static_cast<int>(world.rank() / cfg.parallel.expert), world.rank());
  x.expert_replicas = world.split(static_cast<int>(world.rank() % cfg.parallel.expert), world.rank());
  return x;
}

void connect_exchanges(TrainingExchanges& x, const config::RunConfig& cfg, parallel::Communicator& world,
                       backend::Backend<float>& backend) {
  using parallel::Transport;
  const std::string& requested = cfg.parallel.transport;
  if (x.expert_group) {
    x.experts = parallel::make_device_exchange(*x.expert_group, backend, requested);
    if (x.expert_group->size() > 1)
      x.notes.push_back(std::string("expert exchange: ") + parallel::transport_name(x.experts->transport()));
  }
  std::string why;
  x.gradients = parallel::make_device_exchange(world, backend, requested, &why);
  // NCCL kernels of two communicators running at once (the gradients' on their own stream, the
  // experts' token exchange in the MoE backward) can deadlock when they cannot all be resident
  // on the GPU: with both over NCCL, the gradients wait for the end of backward. Only NCCL
  // overlaps: an all-reduce staged through host memory blocks, and per bucket it would only
  // stall the GPU more often. The choice fixes the sequence of collectives on the world, so every
  // rank must make the same one (expert groups choose their transports apart).
  const bool nccl_experts = x.experts && x.experts->size() > 1 && x.experts->transport() == Transport::nccl;
  const bool overlap_here = world.size() > 1 && x.gradients->transport() == Transport::nccl && !nccl_experts;
  x.overlap_gradients = world.allreduce_max(overlap_here ? 0 : 1) == 0;
  // The expert tensors' gradients sum over the ranks holding the same experts (after the
  // replicated part's, so that two NCCL communicators never run at once).
  if (x.expert_replicas && x.expert_replicas->size() > 1)
    x.expert_gradients = parallel::make_device_exchange(*x.expert_replicas, backend, requested);
  std::string line = std::string("gradient exchange: ") + parallel::transport_name(x.gradients->transport());
  if (world.size() > 1 && !why.empty()) line += " (" + why + ")";
  if (x.overlap_gradients) line += ", started per bucket during backward";
  x.notes.push_back(line);
}

model::GradientsReady bucket_reducer(TrainingExchanges& x, float* grads) {
  if (!x.overlap_gradients) return {};
  return [&x, grads](int64_t offset, int64_t values) {
    x.gradients->start_allreduce_sum(grads + offset, static_cast<size_t>(values));
  };
}

double sum_gradients(TrainingExchanges& x, parallel::Communicator& world, backend::Backend<float>& backend,
                     float* grads, int64_t total, int64_t replicated) {
  // The gradients live in the backend's memory (on the GPU for CUDA): never hand them to MPI directly.
  if (world.size() > 1 && !x.overlap_gradients) x.gradients->allreduce_sum(grads, static_cast<size_t>(replicated));
  x.gradients->finish_allreduces();  // the norm and the optimizer read the sums
  if (x.expert_gradients) x.expert_gradients->allreduce_sum(grads + replicated, size_t(total - replicated));
  double experts = total > replicated ? backend.sum_squares(grads + replicated, total - replicated) : 0.0;
  if (x.expert_group && x.expert_group->size() > 1) x.expert_group->allreduce_sum(&experts, 1);
  return std::sqrt(backend.sum_squares(grads, replicated) + experts);
}

}  // namespace moelaw::train

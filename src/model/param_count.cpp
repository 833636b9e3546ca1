#include "model/param_count.hpp"

#include <cmath>
#include <string>

#include "common/errors.hpp"

namespace moelaw::model {

double lr_law(double n_act_nonembedding, double experts) {
  return std::exp(8.39 - 0.81 * std::log(n_act_nonembedding) - 0.25 * std::log(experts));
}

ParamCounts count_parameters(const ParamCountInput& in) {
  auto fail = [](const std::string& m) { throw UsageError(m); };
  if (in.d_model < 1) fail("d_model must be positive");
  if (in.n_blocks < 1) fail("n_blocks must be positive");
  if (in.vocab_size < 1) fail("vocabulary must be positive");
  if (in.experts < 1) fail("experts must be at least 1");
  if (in.top_k < 1 || in.top_k > in.experts)
    fail("top_k must lie in 1.." + std::to_string(in.experts) + " (the number of experts)");
  if (in.granularity < 1 || (3 * in.d_model) % in.granularity != 0)
    fail("granularity must divide the feed-forward size 3*d_model = " + std::to_string(3 * in.d_model));
  if (in.granularity > 1 && in.experts == 1) fail("granularity > 1 needs experts > 1");

  const int64_t d = in.d_model, L = in.n_blocks;
  ParamCounts c{};
  c.n_embedding = 2 * d * in.vocab_size;
  c.n_total = c.n_embedding + (4 + 9 * in.experts) * L * d * d;
  c.n_act_nonembedding = (4 + 9 * in.top_k) * L * d * d;
  c.n_act = c.n_embedding + c.n_act_nonembedding;
  c.n_norm_gains = 2 * L * d + d;
  c.n_router = in.experts > 1 ? L * d * in.experts * in.granularity : 0;
  c.n_total_allocated = c.n_total + c.n_norm_gains + c.n_router;
  c.n_act_allocated = c.n_act + c.n_norm_gains + c.n_router;
  c.flops_per_token = 6 * c.n_act;
  c.lr = lr_law(double(c.n_act_nonembedding), double(in.experts));
  return c;
}

}  // namespace moelaw::model

#pragma once
// Parameter counts, training FLOPs and the learning-rate law of DESIGN.md.
//
// The published formula counts the matrices only:
//   N_total = 2·d·V + (4 + 9·E)·n_blocks·d²     N_act = 2·d·V + (4 + 9·k)·n_blocks·d²
// (4·d² attention, 9·d² per SwiGLU expert of hidden 3d; with granularity G each expert is split
// into G experts of 9·d²/G and a token uses k·G of them, so G cancels). It leaves out
//   * the RMSNorm gains: 2·d per block plus d for the final norm, and
//   * the router: d·E·G per MoE block (absent in dense models).
// `n_total`/`n_act` follow the published formula so that sizes match the papers; the *_allocated
// counts add what the formula leaves out and equal what the model really allocates.
#include <cstdint>

namespace moelaw::model {

struct ParamCountInput {
  int64_t d_model;
  int64_t n_blocks;
  int64_t vocab_size;
  int64_t experts = 1;
  int64_t top_k = 1;
  int64_t granularity = 1;
};

struct ParamCounts {
  int64_t n_embedding;          // 2·d·V (input table and untied output projection)
  int64_t n_total;              // formula
  int64_t n_act;                // formula
  int64_t n_act_nonembedding;   // formula minus 2·d·V: the N of the LR law
  int64_t n_norm_gains;         // not in the formula
  int64_t n_router;             // not in the formula
  int64_t n_total_allocated;    // n_total + n_norm_gains + n_router
  int64_t n_act_allocated;      // n_act + n_norm_gains + n_router (every token runs the router)
  int64_t flops_per_token;      // 6·n_act (training: forward and backward)
  double lr;                    // exp(8.39 − 0.81·ln N − 0.25·ln E), N = n_act_nonembedding
};

// Throws a UsageError for an impossible shape (top_k > experts, G not dividing 3·d, ...).
ParamCounts count_parameters(const ParamCountInput& in);

// The LR law alone (N: active non-embedding parameters, E: experts).
double lr_law(double n_act_nonembedding, double experts);

}  // namespace moelaw::model

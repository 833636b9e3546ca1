#pragma once
// The op table: at least one case per op family of the contract (backend::kOps), each with its
// tensors, forward and (where the op has one) backward. test_ops_gradients checks every backward
// here against finite differences (double, CPU); test_gpu_ops runs every case on the CPU and on
// the CUDA backend and compares what they wrote. Both fail when a family has no case here.
//
// Ops whose backward overwrites rather than adds (the router's, the combine's rows, cross-entropy
// in place) are wrapped so that the case's backward adds, through a second buffer and add_forward.
// In-place forwards start from a copy of their input made by add_forward(x, input, zeros) (exact).
#include <cmath>
#include <cstdint>
#include <vector>

#include "support/op_case.hpp"

namespace moelaw::testing {

struct OpDims {
  int64_t B, T, H, D, V, E, k, flat;  // flat: length of the element-wise and reduction cases
  int64_t C() const { return H * D; }
  int64_t N() const { return B * T; }
  int64_t F() const { return 3 * C(); }
};
// Small enough for finite differences in double over every input entry.
inline OpDims gradient_dims() { return {2, 4, 2, 4, 7, 3, 2, 6}; }
// The shapes the CUDA comparison used before the table (several blocks and chunks per kernel).
inline OpDims gpu_dims() { return {2, 64, 4, 32, 1000, 8, 2, 100'003}; }

// Expert choices for N tokens: token t's j-th choice goes to expert (3t + j) mod E (k ≤ E keeps a
// token's experts distinct), every fifth choice dropped; slots and positions by the contract's
// order (choice rank, then token).
struct Choices {
  std::vector<int64_t> expert, slot, position, kept;
  int64_t rows = 0;
};
inline Choices make_choices(int64_t N, int64_t E, int64_t k) {
  Choices c;
  c.expert.assign(size_t(N * k), -1);
  c.slot.assign(size_t(N * k), -1);
  c.position.assign(size_t(N * k), -1);
  c.kept.assign(size_t(E), 0);
  for (int64_t j = 0; j < k; ++j)
    for (int64_t t = 0; t < N; ++t) {
      const int64_t i = t * k + j;
      if (i % 5 == 3) continue;
      c.expert[i] = (3 * t + j) % E;
      c.slot[i] = c.kept[c.expert[i]]++;
    }
  std::vector<int64_t> offset(size_t(E) + 1, 0);
  for (int64_t e = 0; e < E; ++e) offset[e + 1] = offset[e] + c.kept[e];
  for (int64_t i = 0; i < N * k; ++i)
    if (c.expert[i] >= 0) c.position[i] = offset[c.expert[i]] + c.slot[i];
  c.rows = offset[E];
  return c;
}

template <typename T>
std::vector<OpCase<T>> op_cases(const OpDims& d) {
  using backend::Backend;
  using backend::Op;
  using R = RealSpec;
  using B = OpBuffers<T>;
  const int64_t N = d.N(), C = d.C(), F = d.F(), V = d.V, E = d.E, k = d.k, n = d.flat;
  const int64_t Bt = d.B, Tt = d.T, H = d.H, D = d.D;
  constexpr Tolerance exact{0, 0}, pointwise{1e-6, 1e-7};  // default (RealSpec): products, 2e-4 and 1e-5
  std::vector<OpCase<T>> cases;

  cases.push_back({Op::matmul, "matmul",
                   {{"in", N * C, R::input, -1, 1, true}, {"w", F * C, R::input, -0.3, 0.3, true},
                    {"out", N * F, R::output, -1, 1, true}},
                   {}, {},
                   [=](Backend<T>& be, B& b) { be.matmul_forward(b.r("out"), b.r("in"), b.r("w"), N, C, F); },
                   [=](Backend<T>& be, B& b) {
                     be.matmul_backward(b.r("din"), b.r("dw"), b.r("dout"), b.r("in"), b.r("w"), N, C, F);
                   }});

  // Three groups, the middle one empty, weights one group's block apart.
  const std::vector<int64_t> rows = {N / 2 - 1, 0, N - N / 2 + 1};
  cases.push_back({Op::grouped_matmul, "grouped_matmul",
                   {{"in", N * C, R::input, -1, 1, true}, {"w", 3 * F * C, R::input, -0.3, 0.3, true},
                    {"out", N * F, R::output, -1, 1, true}},
                   {}, {},
                   [=](Backend<T>& be, B& b) {
                     be.grouped_matmul_forward(b.r("out"), b.r("in"), b.r("w"), rows.data(), 3, C, F, F * C);
                   },
                   [=](Backend<T>& be, B& b) {
                     be.grouped_matmul_backward(b.r("din"), b.r("dw"), b.r("dout"), b.r("in"), b.r("w"), rows.data(), 3,
                                                C, F, F * C);
                   }});

  // Repeated tokens: the scatter-add's hard case.
  std::vector<int64_t> tokens(static_cast<size_t>(N));
  for (int64_t i = 0; i < N; ++i) tokens[i] = (i * 7919) % std::min<int64_t>(V, 50);
  cases.push_back({Op::embedding, "embedding",
                   {{"table", V * C, R::input, -1, 1, true, {}, exact}, {"out", N * C, R::output, -1, 1, true, {}, exact}},
                   {{"tokens", tokens}}, {},
                   [=](Backend<T>& be, B& b) { be.embedding_forward(b.r("out"), b.i32("tokens"), b.r("table"), N, C); },
                   [=](Backend<T>& be, B& b) {
                     be.embedding_backward(b.r("dtable"), b.r("dout"), b.i32("tokens"), N, C);
                   }});

  // The gain gradient sums N positions in another order on the GPU (row ranges, then ranges in
  // order): worst case N·2^-24·Σ|terms| ≈ 1e-3 absolute for terms of order 1.
  cases.push_back({Op::rmsnorm, "rmsnorm",
                   {{"in", N * C, R::input, -1, 1, true}, {"gain", C, R::input, 0.5, 1.5, true, {}, {2e-4, 1e-3}},
                    {"out", N * C, R::output, -1, 1, true}, {"rstd", N, R::output}},
                   {}, {},
                   [=](Backend<T>& be, B& b) {
                     be.rmsnorm_forward(b.r("out"), b.r("rstd"), b.r("in"), b.r("gain"), N, C, 1e-5);
                   },
                   [=](Backend<T>& be, B& b) {
                     be.rmsnorm_backward(b.r("din"), b.r("dgain"), b.r("dout"), b.r("in"), b.r("gain"), b.r("rstd"), N,
                                         C);
                   }});

  cases.push_back({Op::rope, "rope",
                   {{"in", N * C, R::input, -1, 1, true, {}, {1e-5, 1e-6}},
                    {"out", N * C, R::output, -1, 1, true, {}, {1e-5, 1e-6}}},
                   {}, {},
                   [=](Backend<T>& be, B& b) { be.rope_forward(b.r("out"), b.r("in"), Bt, Tt, H, D, 10000.0); },
                   [=](Backend<T>& be, B& b) { be.rope_backward(b.r("din"), b.r("dout"), Bt, Tt, H, D, 10000.0); }});

  // The state is sized for the probabilities (the CPU's and the fp32 GPU path's).
  cases.push_back({Op::attention, "attention",
                   {{"q", N * C, R::input, -1, 1, true}, {"k", N * C, R::input, -1, 1, true},
                    {"v", N * C, R::input, -1, 1, true}, {"out", N * C, R::output, -1, 1, true},
                    {"state", Bt * H * Tt * Tt, R::output}},
                   {}, {},
                   [=](Backend<T>& be, B& b) {
                     be.attention_forward(b.r("out"), b.r("state"), b.r("q"), b.r("k"), b.r("v"), Bt, Tt, H, D);
                   },
                   [=](Backend<T>& be, B& b) {
                     be.attention_backward(b.r("dq"), b.r("dk"), b.r("dv"), b.r("dout"), b.r("out"), b.r("state"),
                                           b.r("q"), b.r("k"), b.r("v"), Bt, Tt, H, D);
                   }});

  cases.push_back({Op::swiglu, "swiglu",
                   {{"gate", N * F, R::input, -3, 3, true, {}, {1e-5, 1e-6}},
                    {"up", N * F, R::input, -1, 1, true, {}, {1e-5, 1e-6}},
                    {"out", N * F, R::output, -1, 1, true, {}, pointwise}},
                   {}, {},
                   [=](Backend<T>& be, B& b) { be.swiglu_forward(b.r("out"), b.r("gate"), b.r("up"), N, F); },
                   [=](Backend<T>& be, B& b) {
                     be.swiglu_backward(b.r("dgate"), b.r("dup"), b.r("dout"), b.r("gate"), b.r("up"), N, F);
                   }});

  // The residual connection's backward is the identity into both inputs.
  cases.push_back({Op::add, "add",
                   {{"a", n, R::input, -1, 1, true, {}, exact}, {"b", n, R::input, -1, 1, true, {}, exact},
                    {"out", n, R::output, -1, 1, true, {}, exact}},
                   {}, {},
                   [=](Backend<T>& be, B& b) { be.add_forward(b.r("out"), b.r("a"), b.r("b"), n); },
                   [=](Backend<T>& be, B& b) {
                     be.add_forward(b.r("da"), b.r("da"), b.r("dout"), n);
                     be.add_forward(b.r("db"), b.r("db"), b.r("dout"), n);
                   }});

  // Some positions without a loss; the loss is 0.37·Σ losses (the backward's scale).
  std::vector<int64_t> targets(static_cast<size_t>(N));
  for (int64_t i = 0; i < N; ++i) targets[i] = i % 9 == 2 ? -1 : (i * 104729) % V;
  constexpr double ce_scale = 0.37;
  cases.push_back({Op::cross_entropy, "cross_entropy",
                   {{"logits", N * V, R::input, -4, 4, true, {}, {1e-5, 1e-9}}, {"zeros", N * V, R::input, 0, 0},
                    {"losses", N, R::output, -1, 1, true, ce_scale, {1e-5, 1e-6}},
                    {"probs", N * V, R::output, -1, 1, false, {}, {1e-5, 1e-9}}},
                   {{"targets", targets}}, {},
                   [=](Backend<T>& be, B& b) {
                     be.add_forward(b.r("probs"), b.r("logits"), b.r("zeros"), N * V);
                     be.cross_entropy_forward(b.r("losses"), b.r("probs"), b.i32("targets"), N, V);
                   },
                   [=](Backend<T>& be, B& b) {
                     be.cross_entropy_backward(b.r("probs"), b.i32("targets"), ce_scale, N, V);
                     be.add_forward(b.r("dlogits"), b.r("dlogits"), b.r("probs"), N * V);
                   }});

  const backend::AdamWHyper h{3e-3, 0.9, 0.95, 1e-8, 0.1, 7};
  cases.push_back({Op::adamw, "adamw",
                   {{"params", n, R::output, -1, 1, false, {}, pointwise},
                    {"grads", n, R::input, -0.01, 0.01},
                    {"m", n, R::output, -0.01, 0.01, false, {}, {1e-6, 1e-9}},
                    {"v", n, R::output, 0, 1e-6, false, {}, {1e-6, 1e-12}}},
                   {}, {},
                   [=](Backend<T>& be, B& b) { be.adamw_update(b.r("params"), b.r("grads"), b.r("m"), b.r("v"), n, h); },
                   {}});

  cases.push_back({Op::sum_squares, "sum_squares", {{"x", n, R::input}}, {}, {},
                   [=](Backend<T>& be, B& b) { b.results.push_back(be.sum_squares(b.r("x"), n)); }, {}, 1e-12});
  cases.push_back({Op::sum, "sum", {{"x", n, R::input}}, {}, {},
                   [=](Backend<T>& be, B& b) { b.results.push_back(be.sum(b.r("x"), n)); }, {}, 1e-9});
  cases.push_back({Op::scale, "scale", {{"x", n, R::output, -1, 1, false, {}, exact}}, {}, {},
                   [=](Backend<T>& be, B& b) { be.scale(b.r("x"), n, 0.37); }, {}});

  // The router without its auxiliary losses (the layer's test covers those): the softmax backward.
  const int64_t capacity = (N * k + E - 1) / E;  // capacity factor 1: some choices are dropped
  std::vector<int64_t> none_i32(size_t(N * k), 0), none_counts(size_t(2 * E), 0);
  cases.push_back({Op::moe_route, "moe_route",
                   {{"logits", N * E, R::input, -2, 2, true, {}, {1e-5, 1e-7}}, {"zeros", N * E, R::input, 0, 0},
                    {"probs", N * E, R::output, -1, 1, true, {}, pointwise}, {"lse", N, R::output, -1, 1, false, {}, pointwise},
                    {"part", N * E, R::output, -1, 1, false, {}, {1e-5, 1e-7}}},
                   {{"expert", none_i32, false, true}, {"slot", none_i32, false, true},
                    {"counts", none_counts, true, true}},
                   {{"sums", E + 1}},
                   [=](Backend<T>& be, B& b) {
                     be.add_forward(b.r("probs"), b.r("logits"), b.r("zeros"), N * E);
                     be.moe_route(b.r("probs"), b.r("lse"), b.i32("expert"), b.i32("slot"), b.i64("counts"),
                                  b.f64("sums"), N, E, k, capacity);
                   },
                   [=](Backend<T>& be, B& b) {
                     be.moe_route_backward(b.r("part"), b.r("dprobs"), b.r("probs"), b.r("lse"), b.i64("counts"), N, E,
                                           k, 0.0, 0.0);
                     be.add_forward(b.r("dlogits"), b.r("dlogits"), b.r("part"), N * E);
                   },
                   1e-6});

  // Permutation into the send buffer; its backward is the unweighted accumulating combine.
  const Choices ch = make_choices(N, E, k);
  const int64_t S = ch.rows;
  cases.push_back({Op::moe_permute, "moe_permute",
                   {{"x", N * C, R::input, -1, 1, true, {}, exact}, {"send", S * C, R::output, -1, 1, true, {}, exact}},
                   {{"expert", ch.expert}, {"slot", ch.slot}, {"kept", ch.kept, true},
                    {"position", none_i32, false, true}},
                   {},
                   [=](Backend<T>& be, B& b) {
                     be.moe_permute(b.r("send"), b.i32("position"), b.r("x"), b.i32("expert"), b.i32("slot"),
                                    b.i64("kept"), N, E, k, C);
                   },
                   [=](Backend<T>& be, B& b) {
                     be.moe_combine(b.r("dx"), b.r("dsend"), nullptr, b.i32("expert"), b.i32("position"), N, E, k, C,
                                    true);
                   }});

  // A fixed permutation of the rows (37 is prime to S); each one's backward is the other.
  std::vector<int64_t> order(static_cast<size_t>(S));
  for (int64_t i = 0; i < S; ++i) order[i] = (i * 37 + 11) % S;
  for (bool gather : {true, false})
    cases.push_back({gather ? Op::gather_rows : Op::scatter_rows, gather ? "gather_rows" : "scatter_rows",
                     {{"in", S * C, R::input, -1, 1, true, {}, exact}, {"out", S * C, R::output, -1, 1, true, {}, exact},
                      {"part", S * C, R::output, -1, 1, false, {}, exact}},
                     {{"index", order}}, {},
                     [=](Backend<T>& be, B& b) {
                       if (gather) be.gather_rows(b.r("out"), b.r("in"), b.i32("index"), S, C);
                       else be.scatter_rows(b.r("out"), b.r("in"), b.i32("index"), S, C);
                     },
                     [=](Backend<T>& be, B& b) {
                       if (gather) be.scatter_rows(b.r("part"), b.r("dout"), b.i32("index"), S, C);
                       else be.gather_rows(b.r("part"), b.r("dout"), b.i32("index"), S, C);
                       be.add_forward(b.r("din"), b.r("din"), b.r("part"), S * C);
                     }});

  // The weighted combine, and the unweighted accumulating one (forward only: its backward is the
  // permutation's forward).
  cases.push_back({Op::moe_combine, "moe_combine",
                   {{"rows", S * C, R::input, -1, 1, true, {}, pointwise},
                    {"probs", N * E, R::input, 0, 1, true, {}, {1e-6, 1e-6}},
                    {"out", N * C, R::output, -1, 1, true, {}, pointwise},
                    {"part", S * C, R::output, -1, 1, false, {}, pointwise}},
                   {{"expert", ch.expert}, {"position", ch.position}}, {},
                   [=](Backend<T>& be, B& b) {
                     be.moe_combine(b.r("out"), b.r("rows"), b.r("probs"), b.i32("expert"), b.i32("position"), N, E, k,
                                    C, false);
                   },
                   [=](Backend<T>& be, B& b) {
                     be.moe_combine_backward(b.r("part"), b.r("dprobs"), b.r("dout"), b.r("rows"), b.r("probs"),
                                             b.i32("expert"), b.i32("position"), N, E, k, C);
                     be.add_forward(b.r("drows"), b.r("drows"), b.r("part"), S * C);
                   }});
  cases.push_back({Op::moe_combine, "moe_combine_unweighted_accumulate",
                   {{"rows", S * C, R::input}, {"out", N * C, R::output, -1, 1, false, {}, pointwise}},
                   {{"expert", ch.expert}, {"position", ch.position}}, {},
                   [=](Backend<T>& be, B& b) {
                     be.moe_combine(b.r("out"), b.r("rows"), nullptr, b.i32("expert"), b.i32("position"), N, E, k, C,
                                    true);
                   },
                   {}});
  return cases;
}

}  // namespace moelaw::testing

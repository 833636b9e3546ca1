#pragma once
// How one case of the op table (support/op_table.hpp) is described and run, on any backend
// (ggml's test-backend-ops is the model). A case names its buffers; the harness allocates them in
// a backend's memory and fills them with the same deterministic values on every backend, so that
//  * the finite-difference check (test_ops_gradients, double on the CPU) differentiates
//    Σ R ⊙ (weighted outputs) against what backward() adds into the inputs' gradients, and
//  * the CPU-against-CUDA check (test_gpu_ops) compares every output, integer output, gradient and
//    scalar result of the same case on both backends.
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "backend/backend.hpp"
#include "gradient_check.hpp"

namespace moelaw::testing {

// A real tensor of the case (element type T of the backend under test).
struct RealSpec {
  enum Role { input, output };
  std::string name;
  int64_t size;
  Role role;
  double lo = -1, hi = 1;  // its starting values (outputs too: backward and in-place ops see them)
  // Inputs: the backward adds into "d" + name, which the finite differences check. Outputs: the
  // loss weights this output by R (its gradient "d" + name is R), or by a constant when set.
  bool differentiable = false;
  std::optional<double> constant_gradient;
  Tolerance gpu{2e-4, 1e-5};  // |gpu − cpu| ≤ atol + rtol·|cpu|

  RealSpec(std::string n, int64_t count, Role r, double low = -1, double high = 1, bool diff = false,
           std::optional<double> constant = {}, Tolerance tol = {2e-4, 1e-5})
      : name(std::move(n)), size(count), role(r), lo(low), hi(high), differentiable(diff),
        constant_gradient(constant), gpu(tol) {}
};

// Integer arrays: inputs with fixed values, or outputs that must be the same on every backend.
struct IntSpec {
  std::string name;
  std::vector<int64_t> values;  // inputs: the values; outputs: as many zeros as the output holds
  bool wide = false;            // int64 (counts) instead of int32
  bool output = false;

  IntSpec(std::string n, std::vector<int64_t> v, bool is_wide = false, bool is_output = false)
      : name(std::move(n)), values(std::move(v)), wide(is_wide), output(is_output) {}
};

// Device buffers of one case on one backend.
template <typename T>
class OpBuffers {
 public:
  T* r(const std::string& name) { return find(real_, name).data(); }
  int32_t* i32(const std::string& name) { return find(i32_, name).data(); }
  int64_t* i64(const std::string& name) { return find(i64_, name).data(); }
  double* f64(const std::string& name) { return find(f64_, name).data(); }
  std::vector<double> results;  // scalars an op returns to the host (sums)

  std::map<std::string, backend::DeviceArray<T>> real_;
  std::map<std::string, backend::DeviceArray<int32_t>> i32_;
  std::map<std::string, backend::DeviceArray<int64_t>> i64_;
  std::map<std::string, backend::DeviceArray<double>> f64_;

 private:
  template <typename M>
  static auto& find(M& m, const std::string& name) {
    auto it = m.find(name);
    if (it == m.end()) throw std::out_of_range("op case: no buffer \"" + name + "\"");
    return it->second;
  }
};

template <typename T>
struct OpCase {
  backend::Op op;
  std::string name;
  std::vector<RealSpec> reals;
  std::vector<IntSpec> ints;
  std::vector<std::pair<std::string, int64_t>> f64_outputs;  // double arrays an op writes (router sums)
  std::function<void(backend::Backend<T>&, OpBuffers<T>&)> forward;
  // Adds into "d" + input from "d" + output after a forward(); empty: the op has no backward.
  std::function<void(backend::Backend<T>&, OpBuffers<T>&)> backward;
  double results_rtol = 1e-9;  // scalar results and double outputs on the GPU

  using Run = std::function<void(backend::Backend<T>&, OpBuffers<T>&)>;
  OpCase(backend::Op o, std::string n, std::vector<RealSpec> r, std::vector<IntSpec> i,
         std::vector<std::pair<std::string, int64_t>> f64, Run fwd, Run bwd = {}, double rtol = 1e-9)
      : op(o), name(std::move(n)), reals(std::move(r)), ints(std::move(i)), f64_outputs(std::move(f64)),
        forward(std::move(fwd)), backward(std::move(bwd)), results_rtol(rtol) {}

  const RealSpec& real(const std::string& n) const {
    for (const auto& s : reals)
      if (s.name == n) return s;
    throw std::out_of_range("op case " + name + ": no tensor \"" + n + "\"");
  }
};

// The starting values of a case's tensors: the same for every backend and every call.
inline std::vector<double> start_values(const RealSpec& s, uint64_t salt) {
  uint64_t seed = salt;
  for (char c : s.name) seed = seed * 131 + uint64_t(c);
  return random_vector<double>(size_t(s.size), seed, s.lo, s.hi);
}

// The starting values of "d" + name: R (or the constant) for an output, random for an input.
inline std::vector<double> gradient_start(const RealSpec& s) {
  std::vector<double> g = start_values(s, 2);
  if (s.role == RealSpec::output && s.constant_gradient) g.assign(g.size(), *s.constant_gradient);
  return g;
}

template <typename T>
std::vector<T> as(const std::vector<double>& v) {
  return std::vector<T>(v.begin(), v.end());
}

// Allocates and fills a case's buffers on `be`: each real tensor, the gradient "d" + name of
// every differentiable input (random start, to check that backward adds) and weighted output (R).
template <typename T>
OpBuffers<T> make_buffers(backend::Backend<T>& be, const OpCase<T>& c) {
  OpBuffers<T> b;
  auto put = [&](const std::string& name, const std::vector<double>& values) {
    auto& a = b.real_[name] = backend::DeviceArray<T>(be, values.size());
    const auto host = as<T>(values);
    a.upload(host.data(), host.size());
  };
  for (const auto& s : c.reals) {
    put(s.name, start_values(s, 1));
    if (s.differentiable) put("d" + s.name, gradient_start(s));
  }
  for (const auto& s : c.ints) {
    if (s.wide) {
      auto& a = b.i64_[s.name] = backend::DeviceArray<int64_t>(be, s.values.size());
      a.upload(s.values.data(), s.values.size());
    } else {
      const std::vector<int32_t> v(s.values.begin(), s.values.end());
      auto& a = b.i32_[s.name] = backend::DeviceArray<int32_t>(be, v.size());
      a.upload(v.data(), v.size());
    }
  }
  for (const auto& [name, n] : c.f64_outputs) {
    auto& a = b.f64_[name] = backend::DeviceArray<double>(be, size_t(n));
    a.zero();
  }
  return b;
}

template <typename U>
std::vector<double> download(const backend::DeviceArray<U>& a) {
  std::vector<U> v(a.size());
  a.download(v.data(), v.size());
  return std::vector<double>(v.begin(), v.end());
}

// Every op family of the contract has at least one case: the families without one, named (empty
// when there are none).
template <typename T>
std::string ops_without_a_case(const std::vector<OpCase<T>>& cases) {
  std::string missing;
  for (backend::Op op : backend::kOps) {
    bool found = false;
    for (const auto& c : cases) found = found || c.op == op;
    if (!found) missing += std::string(missing.empty() ? "" : ", ") + backend::op_name(op);
  }
  return missing;
}

}  // namespace moelaw::testing

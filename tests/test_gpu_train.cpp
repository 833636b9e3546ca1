// A short training run on the GPU follows the CPU reference's loss curve, and checkpoints cross
// backends: a run branched on the CPU from a GPU checkpoint ends where the CPU run ends. Both
// backends train in fp32 (train.precision=fp32: "auto" would be bf16 on the GPU) and differ in
// summation order only, so ten steps agree to 1e-3 relative (measured drift is far smaller; the
// bound leaves room for other GPUs' GEMM kernels). In bf16 the curve is followed loosely.
// Skipped where no GPU can be used.
#include <boost/test/unit_test.hpp>

#include <fstream>

#include "flash_attention.hpp"
#include "support/gpu.hpp"
#include "support/tiny_run.hpp"

BOOST_AUTO_TEST_SUITE(test_gpu_train)

using namespace moelaw::testing;

namespace {

// Head size 64, so that the bf16 backend's attention is the flash kernel (the tiny config's 16
// takes the cuBLAS path): d_model 128 (2 heads), 2 blocks, sequences of 128 tokens (two query
// tiles of 64: the diagonal tile and one below it), 4 per step, 8 steps.
std::string head64_config(const std::string& dir) {
  std::string path = dir + "/head64.toml";
  std::ofstream(path) << "[model]\nd_model = 128\nhead_dim = 64\nn_blocks = 2\nseq_len = 128\n"
                         "[data]\ntrain = \"" + test_data_dir() + "/fineweb_train_*.bin\"\n"
                         "val = \"" + test_data_dir() + "/fineweb_val_*.bin\"\n"
                         "[train]\ntokens = 4096\nlr = 0.01\nwarmup_tokens = 1024\n"
                         "batch_ramp_tokens = [0]\nbatch_ramp_sizes = [512]\n"
                         "eval_interval_steps = 4\neval_tokens = 512\nlog_interval_steps = 1\nbackend = \"cpu\"\n";
  return path;
}

}  // namespace

BOOST_AUTO_TEST_CASE(gpu_follows_the_cpu_curve, *boost::unit_test::precondition(GpuAvailable())) {
  TempDir dir;
  const std::string config = tiny_config(dir.path.string());
  auto cpu = train(config + " --set train.backend=cpu --out " + (dir / "cpu"));
  BOOST_REQUIRE_MESSAGE(cpu.status == 0, cpu.err);
  auto gpu = train(config + " --set train.backend=cuda --set train.precision=fp32 --out " + (dir / "gpu"));
  BOOST_REQUIRE_MESSAGE(gpu.status == 0, gpu.err);
  BOOST_TEST(runinfo(dir / "gpu")["summary"]["backend"] == "cuda");
  auto a = train_losses(dir / "cpu"), b = train_losses(dir / "gpu");
  BOOST_REQUIRE_EQUAL(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i)
    BOOST_TEST(std::abs(b[i] - a[i]) <= 1e-3 * std::abs(a[i]), "step " << i + 1 << ": gpu " << b[i] << " cpu " << a[i]);

  // A GPU checkpoint taken mid-run continues on the CPU to the CPU run's end.
  auto branch = train(config + " --set train.backend=cpu --out " + (dir / "branch") + " --init-from " +
                      (dir / "gpu") + "/checkpoints/step-00000008.h5");  // keep_last 2: steps 8 and 10 remain
  BOOST_REQUIRE_MESSAGE(branch.status == 0, branch.err);
  auto c = train_losses(dir / "branch");
  BOOST_TEST(std::abs(c.back() - a.back()) <= 1e-3 * std::abs(a.back()));
}

// The whole model with bf16 matrix products (the weight copy registered by the model and kept
// current by the fused AdamW): each product errs by up to 2^-8 of Σ|a·b|, so the losses drift
// from the fp32 curve. The 5e-2 bound is a loose first guess that catches gross failures (NaNs,
// a broken product or update), to be tightened once the drift is measured on a GPU; the op-level
// bounds are in test_gpu_bf16.
BOOST_AUTO_TEST_CASE(gpu_bf16_follows_the_cpu_curve_loosely, *boost::unit_test::precondition(GpuAvailable())) {
  TempDir dir;
  const std::string config = tiny_config(dir.path.string());
  auto cpu = train(config + " --set train.backend=cpu --out " + (dir / "cpu"));
  BOOST_REQUIRE_MESSAGE(cpu.status == 0, cpu.err);
  auto gpu = train(config + " --set train.backend=cuda --set train.precision=bf16 --out " + (dir / "gpu"));
  BOOST_REQUIRE_MESSAGE(gpu.status == 0, gpu.err);
  auto a = train_losses(dir / "cpu"), b = train_losses(dir / "gpu");
  BOOST_REQUIRE_EQUAL(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i)
    BOOST_TEST(std::abs(b[i] - a[i]) <= 5e-2 * std::abs(a[i]), "step " << i + 1 << ": gpu " << b[i] << " cpu " << a[i]);
}

// Flash attention inside the model: the same run at head size 64 with the bf16 backend (flash
// forward and backward in every block) against the CPU reference, within the bf16 bound above.
BOOST_AUTO_TEST_CASE(gpu_bf16_flash_attention_follows_the_cpu_curve, *boost::unit_test::precondition(GpuAvailable())) {
  BOOST_REQUIRE(moelaw::cuda::flash::supports(64));  // else this run would not exercise the flash kernels
  TempDir dir;
  const std::string config = head64_config(dir.path.string());
  auto cpu = train(config + " --set train.backend=cpu --out " + (dir / "cpu"));
  BOOST_REQUIRE_MESSAGE(cpu.status == 0, cpu.err);
  auto gpu = train(config + " --set train.backend=cuda --set train.precision=bf16 --out " + (dir / "gpu"));
  BOOST_REQUIRE_MESSAGE(gpu.status == 0, gpu.err);
  BOOST_TEST(runinfo(dir / "gpu")["summary"]["backend"] == "cuda-bf16");
  auto a = train_losses(dir / "cpu"), b = train_losses(dir / "gpu");
  BOOST_REQUIRE_EQUAL(a.size(), 8u);
  BOOST_REQUIRE_EQUAL(b.size(), a.size());
  for (size_t i = 0; i < a.size(); ++i)
    BOOST_TEST(std::abs(b[i] - a[i]) <= 5e-2 * std::abs(a[i]), "step " << i + 1 << ": gpu " << b[i] << " cpu " << a[i]);
  BOOST_TEST(b.back() < b.front());  // and it learns: the loss falls over the 8 steps
}

BOOST_AUTO_TEST_SUITE_END()

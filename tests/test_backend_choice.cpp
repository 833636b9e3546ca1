// train.backend and train.precision to a backend (backend/registry.hpp), in a program without the
// CUDA backend registered (as every test program but test_gpu_*): the CPU, or an error that says why.
#include <boost/test/unit_test.hpp>

#include <string>

#include "backend/registry.hpp"
#include "common/errors.hpp"

BOOST_AUTO_TEST_SUITE(test_backend_choice)

using moelaw::UsageError;
using moelaw::backend::BackendChoice;
using moelaw::backend::BackendKind;
using moelaw::backend::make_training_backend;
using moelaw::backend::parse_backend_choice;

BOOST_AUTO_TEST_CASE(choices_are_parsed_once_and_unknown_ones_named) {
  BOOST_TEST((parse_backend_choice("cpu") == BackendChoice::cpu));
  BOOST_TEST((parse_backend_choice("cuda") == BackendChoice::cuda));
  BOOST_TEST((parse_backend_choice("auto") == BackendChoice::automatic));
  try {
    parse_backend_choice("gpu");
    BOOST_FAIL("\"gpu\" was accepted");
  } catch (const UsageError& e) {
    BOOST_TEST(std::string(e.what()).find("train.backend = \"gpu\"") != std::string::npos, e.what());
  }
}

BOOST_AUTO_TEST_CASE(the_kind_not_the_name_says_which_backend_it_is) {
  std::string note;
  const auto cpu = make_training_backend("cpu", "auto", 0, &note);
  BOOST_TEST((cpu->kind() == BackendKind::cpu));
  BOOST_TEST(note.empty());
  const auto fallback = make_training_backend("auto", "auto", 0, &note);
  BOOST_TEST((fallback->kind() == BackendKind::cpu));
  BOOST_TEST(note.find("training on the CPU") != std::string::npos, note);
  BOOST_CHECK_THROW(make_training_backend("cuda", "auto", 0, &note), UsageError);
  BOOST_CHECK_THROW(make_training_backend("cpu", "bf16", 0, &note), UsageError);
}

BOOST_AUTO_TEST_SUITE_END()

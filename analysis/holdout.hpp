#pragma once
// The held-out set of a fit: `lowest-loss:K` (the K runs with the lowest loss, as the joint-law
// paper validates on its 30 best runs, i.e. the regime the law is extrapolated to) or a filter
// `COLUMN=VALUE` on the runs table (`experts=32`; `sparsity=0.98` also works without a sparsity
// column, from (E − k)/E).
#include <string>
#include <vector>

#include "analysis/law_spec.hpp"

namespace moelaw::analysis {

struct Split {
  std::vector<size_t> train, holdout;  // row indices
};

// An empty spec holds nothing out. A malformed spec or a missing column is a UsageError.
Split split_holdout(const RunsTable& t, const std::vector<Sample>& samples, const std::string& spec);

std::vector<Sample> pick(const std::vector<Sample>& samples, const std::vector<size_t>& rows);

}  // namespace moelaw::analysis

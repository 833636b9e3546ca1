#pragma once
// Helpers of the fit tests: runs tables written to temporary CSV files, and the published joint
// law written out independently of analysis/ so that it checks the library rather than itself.
#include <cmath>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include <unistd.h>

namespace moelaw::testing {

struct TempFile {
  std::string path;
  explicit TempFile(const std::string& text, const std::string& suffix = ".csv") {
    char tmpl[] = "/tmp/moelaw-fit-XXXXXX";
    int fd = mkstemp(tmpl);
    close(fd);
    std::remove(tmpl);
    path = std::string(tmpl) + suffix;
    std::ofstream(path) << text;
  }
  ~TempFile() { std::remove(path.c_str()); }
};

// The joint law with the published coefficients of DESIGN.md, N = N_act (embeddings included).
struct PublishedJoint {
  double a = 35.91, alpha = -0.1889, delta = -0.2285, gamma = 0.0098, b = 35.98, beta = -0.1775,
         omega = 0.5529, zeta = -0.0259, e_start = 2.0732, e_max = 290.4521, c = 1.3637;
  double e_hat(double e) const { return 1 / (1 / (e - 1 + 1 / (1 / e_start - 1 / e_max)) + 1 / e_max); }
  double loss(double n, double d, double e) const {
    double le = std::log(e_hat(e));
    return a * std::pow(e_hat(e), delta) * std::pow(n, alpha + gamma * le) +
           b * std::pow(e_hat(e), omega) * std::pow(d, beta + zeta * le) + c;
  }
  std::string json() const {
    char buf[512];
    std::snprintf(buf, sizeof buf,
                  "{\"law\": \"joint\", \"coefficients\": {\"a\": %.17g, \"alpha\": %.17g, \"delta\": %.17g, "
                  "\"gamma\": %.17g, \"b\": %.17g, \"beta\": %.17g, \"omega\": %.17g, \"zeta\": %.17g, "
                  "\"e_start\": %.17g, \"e_max\": %.17g, \"c\": %.17g}}",
                  a, alpha, delta, gamma, b, beta, omega, zeta, e_start, e_max, c);
    return buf;
  }
};

inline double n_act_of_d(double d) { return 2 * d * 50257 + 13 * (d / 64) * d * d; }

}  // namespace moelaw::testing

// The headers most test files include and that cost the most to parse (Boost.Test, nlohmann-json,
// Eigen), precompiled once for every test program (tests/CMakeLists.txt).
#pragma once
#include <boost/test/unit_test.hpp>

#include <Eigen/Dense>
#include <ceres/ceres.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <vector>

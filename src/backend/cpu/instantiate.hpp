#pragma once
// Explicit instantiation of an operation template for the two number types the reference serves:
// float (training) and double (gradient checks).
#define MOELAW_INSTANTIATE_FOR_REAL_TYPES(INSTANTIATE) \
  INSTANTIATE(float)                                    \
  INSTANTIATE(double)

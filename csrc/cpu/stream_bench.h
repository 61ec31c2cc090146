// A STREAM-like measurement of this machine's memory bandwidth (copy c = a and triad
// a = b + s * c over float arrays), for the benchmarks' "limit" column: the figure that
// memory-bound kernels are compared with, measured in the same run. Not used by any op.
#pragma once
#include <cstdint>

namespace pe::cpu {

struct StreamResult {
  double copy_gbs;   // bytes read + written per second, as STREAM counts (no write-allocate)
  double triad_gbs;
};

// Arrays of n floats each, the library's thread count, the median of `repeat` runs.
StreamResult stream_bandwidth(int64_t n, int repeat);

// The float32 FMA peak of this machine in GFLOP/s (2 flops per lane per FMA): every thread of the library runs
// independent chains of 8-wide AVX2 FMAs in registers (enough chains to cover the FMA latency), the median of
// `repeat` runs; 0 on a CPU without AVX2/FMA. The limit the GEMM benchmark compares with (issue 18).
double fma_peak_gflops(int repeat);

}  // namespace pe::cpu

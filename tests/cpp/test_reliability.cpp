// Reliability facts (issue 19): sizes whose product overflows int64 are refused wherever a tensor
// gets its geometry, integer sums and products wrap as two's complement (computed without
// signed overflow, so UBSan stays quiet), and the float32 GEMM packs panels from unaligned rows.
#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <vector>

#include "core/checked_mul.h"
#include "core/shape.h"
#include "ops/linalg.h"
#include "ops/ops.h"
#include "ops/reduce.h"

using namespace pe;

TEST(CheckedSizes, ProductsPastInt64AreRefused) {
  EXPECT_EQ(checked_mul(int64_t(1) << 31, int64_t(1) << 31), int64_t(1) << 62);
  EXPECT_THROW(checked_mul(int64_t(1) << 62, 4), Error);
  // A zero size makes the count 0 (a loaded tensor may have one beside huge sizes, as in PyTorch); the
  // factories check the storage size in order, as PyTorch's computeStorageNbytes.
  EXPECT_EQ(checked_numel({int64_t(1) << 62, 4, 0}), 0);
  EXPECT_EQ(checked_numel({0, int64_t(1) << 62, 4}), 0);
  EXPECT_THROW(make_empty({int64_t(1) << 62, 4, 0}, DType::Float32, Device()), Error);
  EXPECT_THROW(make_empty({0, int64_t(1) << 62, 4}, DType::Float32, Device()), Error);  // its strides overflow
  EXPECT_THROW(contiguous_strides({0, int64_t(1) << 62, 4}), Error);  // "Stride calculation overflowed"
  EXPECT_THROW(infer_size({-1, (int64_t(1) << 62) + 1, 4}, 4), Error);
}

TEST(CheckedSizes, ExpandViewAndAsStridedRefuseOverflow) {
  Tensor one = ones({1, 1}, {DType::Float32});
  EXPECT_EQ(expand(one, {int64_t(1) << 31, int64_t(1) << 31}).numel(), int64_t(1) << 62);
  EXPECT_THROW(expand(one, {(int64_t(1) << 62) + 1, 4}), Error);
  EXPECT_THROW(as_strided(one, {int64_t(1) << 31, int64_t(1) << 31, int64_t(1) << 31}, {0, 0, 0}, 0), Error);
  EXPECT_THROW(as_strided(one, {int64_t(1) << 62, 2}, {int64_t(1) << 62, 1}, 0), Error);
  Tensor four = ones({4}, {DType::Float32});
  EXPECT_THROW(view(four, {(int64_t(1) << 62) + 1, 4}), Error);
  EXPECT_THROW(empty({int64_t(1) << 40, int64_t(1) << 40}, {DType::Float32}), Error);
}

TEST(IntegerReductions, WrapAsTwosComplement) {
  Tensor t = full({2}, Scalar(std::numeric_limits<int64_t>::max()), {DType::Int64});
  EXPECT_EQ(*sum(t).data_ptr<int64_t>(), int64_t(-2));
  EXPECT_EQ(*prod(t).data_ptr<int64_t>(), int64_t(1));
  Tensor c = cumsum(t, 0);
  EXPECT_EQ(c.data_ptr<int64_t>()[1], int64_t(-2));
}

TEST(Gemm, Float32FromOddOffsetsMatchesReference) {
  // A row-major A starting one float into its buffer: the packing reads 8-byte pairs at 4-byte
  // alignment (once a misaligned double load, undefined behaviour).
  const int64_t m = 13, k = 9, n = 17;
  Tensor buf = empty({m * k + 1}, {DType::Float32});
  for (int64_t i = 0; i < m * k + 1; ++i) buf.data_ptr<float>()[i] = float((i * 7) % 11) - 5;
  Tensor a = as_strided(buf, {m, k}, {1, m}, 1);  // columns of A contiguous: the MR-copy path
  Tensor b = empty({k, n}, {DType::Float32});
  for (int64_t i = 0; i < k * n; ++i) b.data_ptr<float>()[i] = float((i * 5) % 7) - 3;
  Tensor c = mm(a, b);
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j) {
      double want = 0;
      for (int64_t p = 0; p < k; ++p)
        want += double(buf.data_ptr<float>()[1 + i + p * m]) * double(b.data_ptr<float>()[p * n + j]);
      EXPECT_EQ(c.data_ptr<float>()[i * n + j], float(want)) << i << "," << j;
    }
}

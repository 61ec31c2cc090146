// The elementwise loop engine (TensorIter + cpu_kernel) and the op layer's views and copies,
// checked against straightforward index arithmetic.
#include <gtest/gtest.h>

#include "core/tensor_iter.h"
#include "cpu/loop.h"
#include "ops/ops.h"

using namespace pe;

namespace {
Tensor iota(const DimVector& sizes, DType dt = DType::Float32) {
  return reshape(arange(Scalar(int64_t(0)), Scalar(checked_numel(sizes)), Scalar(int64_t(1)), {dt}), sizes);
}
float at(const Tensor& t, const DimVector& idx) {
  int64_t off = t.storage_offset();
  for (size_t d = 0; d < idx.size(); ++d) off += idx[d] * t.strides()[d];
  return static_cast<float*>(t->storage()->data())[off];
}
}  // namespace

TEST(TensorIter, CoalescesContiguousDims) {
  Tensor a = iota({2, 3, 4});
  Tensor out = empty({2, 3, 4}, {});
  TensorIter it({out}, {a});
  EXPECT_EQ(it.ndim(), 1);
  EXPECT_TRUE(it.is_contiguous());
  EXPECT_EQ(it.numel(), 24);
}

TEST(TensorIter, BroadcastGivesZeroStride) {
  Tensor a = iota({3, 1});
  Tensor out = empty({3, 4}, {});
  TensorIter it({out}, {a});
  EXPECT_EQ(it.ndim(), 2);
  EXPECT_EQ(it.stride(0, 1), 0);  // innermost dim: broadcast
}

TEST(TensorIter, EmptyHasNoWork) {
  Tensor out = empty({0, 3}, {});
  TensorIter it({out}, {});
  EXPECT_EQ(it.numel(), 0);
}

TEST(CpuKernel, StridedAndBroadcastInputs) {
  Tensor a = transpose(iota({4, 3}), 0, 1);  // (3, 4), non-contiguous
  Tensor b = iota({1, 4});
  Tensor out = empty({3, 4}, {});
  cpu::cpu_kernel(TensorIter({out}, {a, b}), [](float x, float y) -> float { return x * 10 + y; });
  for (int64_t i = 0; i < 3; ++i)
    for (int64_t j = 0; j < 4; ++j) EXPECT_EQ(at(out, {i, j}), at(a, {i, j}) * 10 + j);
}

TEST(CpuKernel, ParallelLargeMatchesSerial) {
  int64_t n = 1 << 20;
  Tensor a = iota({n});
  Tensor out = empty({n}, {});
  cpu::cpu_kernel(TensorIter({out}, {a}), [](float x) -> float { return x + 1; });
  const float* o = out.data_ptr<float>();
  for (int64_t i = 0; i < n; i += 997) EXPECT_EQ(o[i], (float)i + 1);
}

TEST(CpuKernel, WritesIntoPermutedOutput) {
  Tensor base = zeros({5, 6}, {});
  Tensor out = transpose(base, 0, 1);  // (6, 5)
  Tensor src = iota({6, 5});
  copy_(out, src);
  for (int64_t i = 0; i < 6; ++i)
    for (int64_t j = 0; j < 5; ++j) EXPECT_EQ(at(base, {j, i}), i * 5 + j);
}

TEST(Ops, CopyCastsAndBroadcasts) {
  Tensor dst = zeros({2, 3}, {DType::Float64});
  Tensor src = arange(Scalar(int64_t(0)), Scalar(int64_t(3)), Scalar(int64_t(1)), {});
  copy_(dst, src);
  const double* d = dst.data_ptr<double>();
  for (int i = 0; i < 6; ++i) EXPECT_EQ(d[i], i % 3);
  EXPECT_EQ(dst->version(), 2u);  // fill + copy
}

TEST(Ops, PartiallyOverlappingCopyIsRefused) {
  // PyTorch raises rather than guess an order for a write that reads its own output.
  Tensor a = iota({6});
  Tensor dst = slice(a, 0, 1, 6, 1), src = slice(a, 0, 0, 5, 1);
  EXPECT_THROW(copy_(dst, src), Error);
  Tensor e = expand(iota({1}), {3});
  EXPECT_THROW(copy_(e, iota({3})), Error);
  copy_(a, a);  // the same memory: a no-op
}

TEST(Ops, ViewsShareStorageAndVersion) {
  Tensor a = iota({2, 3});
  Tensor v = view(a, {3, 2});
  EXPECT_EQ(v->storage(), a->storage());
  EXPECT_EQ(v->version_counter(), a->version_counter());
  EXPECT_THROW(view(transpose(a, 0, 1), {6}), Error);
  Tensor r = reshape(transpose(a, 0, 1), {6});  // copies
  EXPECT_NE(r->storage(), a->storage());
}

TEST(Ops, AdvancedIndexGathersAndScatters) {
  Tensor a = iota({3, 4});
  Tensor idx = arange(Scalar(int64_t(2)), Scalar(int64_t(-1)), Scalar(int64_t(-1)), {});  // [2, 1, 0]
  Tensor g = index_tensors(a, {Tensor(), idx});  // a[:, [2, 1, 0]]
  ASSERT_EQ(g.sizes(), (DimVector{3, 3}));
  for (int64_t i = 0; i < 3; ++i)
    for (int64_t j = 0; j < 3; ++j) EXPECT_EQ(at(g, {i, j}), i * 4 + (2 - j));
  Tensor bad = full({1}, Scalar(int64_t(7)), {DType::Int64});
  EXPECT_THROW(index_tensors(a, {bad}), IndexError);
  Tensor ones_v = ones({3}, {});
  index_put_tensors_(a, {Tensor(), idx}, ones_v, /*accumulate=*/true);
  EXPECT_EQ(at(a, {0, 2}), 3.0f);
}

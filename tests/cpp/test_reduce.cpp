// The reduction engine: geometry choice (Inner/Outer/NeedsCopy), summation accuracy of the
// pairwise fold against a double reference, and agreement of the Inner and Outer paths.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "core/reduce_iter.h"
#include "ops/ops.h"
#include "ops/reduce.h"

using namespace pe;

namespace {

Tensor from_vector(const std::vector<float>& v, const DimVector& sizes) {
  Tensor t = empty(sizes, {DType::Float32});
  std::copy(v.begin(), v.end(), t.data_ptr<float>());
  return t;
}

std::vector<float> random_floats(int64_t n, float lo, float hi, unsigned seed) {
  std::mt19937 g(seed);
  std::uniform_real_distribution<float> u(lo, hi);
  std::vector<float> v(n);
  for (auto& x : v) x = u(g);
  return v;
}

}  // namespace

TEST(ReduceGeom, ContiguousLastDimIsInner) {
  ReduceGeom g = make_reduce_geom({4, 5}, {5, 1}, {false, true}, false);
  EXPECT_EQ(g.kind, ReduceGeom::Kind::Inner);
  EXPECT_EQ(g.num_outputs, 4);
  EXPECT_EQ(g.reduce_size, 5);
}

TEST(ReduceGeom, FirstDimIsOuter) {
  ReduceGeom g = make_reduce_geom({4, 5}, {5, 1}, {true, false}, false);
  EXPECT_EQ(g.kind, ReduceGeom::Kind::Outer);
  EXPECT_EQ(g.cols, 5);
  EXPECT_EQ(g.reduce_size, 4);
}

TEST(ReduceGeom, FullReductionOfTransposedIsOneRun) {
  // A transposed matrix is dense: when the order does not matter, it reduces as one run...
  ReduceGeom g = make_reduce_geom({5, 4}, {1, 5}, {true, true}, false);
  EXPECT_EQ(g.kind, ReduceGeom::Kind::Inner);
  EXPECT_EQ(g.reduce_size, 20);
  // ...but an arg-reduction must walk it in logical order.
  ReduceGeom a = make_reduce_geom({5, 4}, {1, 5}, {true, true}, true);
  EXPECT_EQ(a.kind, ReduceGeom::Kind::NeedsCopy);
}

TEST(ReduceGeom, MiddleDimsMerge) {
  ReduceGeom g = make_reduce_geom({2, 3, 4, 5}, {60, 20, 5, 1}, {false, true, true, true}, false);
  EXPECT_EQ(g.kind, ReduceGeom::Kind::Inner);
  EXPECT_EQ(g.reduce_size, 60);
  ReduceGeom h = make_reduce_geom({2, 3, 4, 5}, {60, 20, 5, 1}, {true, false, true, false}, false);
  EXPECT_EQ(h.kind, ReduceGeom::Kind::Outer);
  EXPECT_EQ(h.cols, 5);
  EXPECT_EQ(h.reduce_size, 8);
}

TEST(ReduceAccuracy, Float32SumOfTenMillionMatchesDouble) {
  const int64_t n = 10000000 + 13;
  for (float lo : {0.0f, -1.0f}) {
    auto v = random_floats(n, lo, 1.0f, 7);
    double ref = 0;
    for (float x : v) ref += x;
    float got = item(sum(from_vector(v, {n}))).to_double();
    EXPECT_LT(std::fabs(got - ref) / std::fabs(ref), 1e-6) << "lo=" << lo << " got " << got << " ref " << ref;
    // A naive float running sum is far off at this size; the pairwise fold is not.
    float naive = 0;
    for (float x : v) naive += x;
    EXPECT_GT(std::fabs(naive - ref), std::fabs(got - ref));
  }
}

TEST(ReduceAccuracy, Float32ColumnSumsMatchDouble) {
  // sum(0) walks rows (Outer); its per-column pairwise tree keeps the same accuracy.
  const int64_t rows = 1 << 20, cols = 3;
  auto v = random_floats(rows * cols, 0.0f, 1.0f, 11);
  Tensor s = sum(from_vector(v, {rows, cols}), DimVector{0});
  for (int64_t c = 0; c < cols; ++c) {
    double ref = 0;
    for (int64_t r = 0; r < rows; ++r) ref += v[r * cols + c];
    EXPECT_LT(std::fabs(s.data_ptr<float>()[c] - ref) / ref, 1e-6);
  }
}

TEST(ReduceAccuracy, MeanAndVarOfOffsetData) {
  // Welford in double: a large common offset does not destroy the variance.
  const int64_t n = 1 << 20;
  auto v = random_floats(n, 0.0f, 1.0f, 3);
  for (auto& x : v) x += 10000.0f;
  double mean = 0, m2 = 0;
  for (float x : v) mean += x;
  mean /= n;
  for (float x : v) m2 += (x - mean) * (x - mean);
  Tensor t = from_vector(v, {n});
  EXPECT_NEAR(item(var(t)).to_double(), m2 / (n - 1), 1e-4 * m2 / n);
  EXPECT_NEAR(item(pe::mean(t)).to_double(), mean, 1e-6 * mean);
}

TEST(Reduce, InnerAndOuterPathsAgree) {
  auto v = random_floats(300 * 70, -1.0f, 1.0f, 5);
  Tensor m = from_vector(v, {300, 70});
  Tensor a = sum(m, DimVector{0});                       // Outer
  Tensor b = sum(contiguous(transpose(m, 0, 1)), DimVector{1});  // Inner
  for (int64_t c = 0; c < 70; ++c) EXPECT_NEAR(a.data_ptr<float>()[c], b.data_ptr<float>()[c], 1e-4);
  auto [vals, idx] = max(m, 0);
  Tensor am = argmax(contiguous(transpose(m, 0, 1)), 1);
  for (int64_t c = 0; c < 70; ++c) {
    EXPECT_EQ(idx.data_ptr<int64_t>()[c], am.data_ptr<int64_t>()[c]);
    EXPECT_EQ(vals.data_ptr<float>()[c], v[idx.data_ptr<int64_t>()[c] * 70 + c]);
  }
}

// The selection ops from C++: sort order (NaN largest, stable ties), gather/scatter on strided
// operands, scatter_add with repeated indices, cat with promotion and flip through negative strides.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "ops/select.h"

using namespace pe;

namespace {
Tensor from(const std::vector<float>& v, const DimVector& sizes) {
  Tensor t = empty(sizes, {DType::Float32});
  std::copy(v.begin(), v.end(), t.data_ptr<float>());
  return t;
}
Tensor longs(const std::vector<int64_t>& v, const DimVector& sizes) {
  Tensor t = empty(sizes, {DType::Int64});
  std::copy(v.begin(), v.end(), t.data_ptr<int64_t>());
  return t;
}
std::vector<double> values(const Tensor& t) {
  Tensor c = contiguous(to(t, DType::Float64, std::nullopt));
  const double* p = c.data_ptr<double>();
  return std::vector<double>(p, p + c.numel());
}
}  // namespace

TEST(Select, SortPutsNanLastAndKeepsTiesInOrder) {
  Tensor t = from({2, NAN, 1, 2, -INFINITY, 1}, {6});
  ValuesIndices r = sort(t, 0, false, true);
  EXPECT_EQ(values(r.indices), (std::vector<double>{4, 2, 5, 0, 3, 1}));
  ValuesIndices d = sort(t, 0, true, true);
  EXPECT_EQ(values(d.indices), (std::vector<double>{1, 0, 3, 2, 5, 4}));
  EXPECT_TRUE(std::isnan(values(d.values)[0]));
}

TEST(Select, SortAlongDim0OfTransposedInput) {
  Tensor t = transpose(from({3, 1, 2, 0, 5, 4}, {2, 3}), 0, 1);  // [[3, 0], [1, 5], [2, 4]]
  ValuesIndices r = sort(t, 0, false, false);
  EXPECT_EQ(values(r.values), (std::vector<double>{1, 0, 2, 4, 3, 5}));
  EXPECT_EQ(values(r.indices), (std::vector<double>{1, 0, 2, 2, 0, 1}));
}

TEST(Select, TopkAndKthvalue) {
  Tensor t = from({5, 1, 4, 2, 3}, {5});
  EXPECT_EQ(values(topk(t, 2, 0, true, true).values), (std::vector<double>{5, 4}));
  EXPECT_EQ(values(topk(t, 2, 0, false, true).indices), (std::vector<double>{1, 3}));
  ValuesIndices k = kthvalue(t, 3, 0, false);
  EXPECT_EQ(k.values.dim(), 0);
  EXPECT_EQ(values(k.values)[0], 3);
  EXPECT_EQ(values(k.indices)[0], 4);
  EXPECT_THROW(topk(t, 6, 0, true, true), Error);
}

TEST(Select, GatherFromSlicedInputWithTransposedIndex) {
  Tensor base = from({0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}, {3, 4});
  Tensor x = slice(base, 1, 0, std::nullopt, 2);            // [[0, 2], [4, 6], [8, 10]]
  Tensor idx = transpose(longs({1, 0, 0, 1}, {2, 2}), 0, 1);  // [[1, 0], [0, 1]]
  EXPECT_EQ(values(gather(x, 1, idx)), (std::vector<double>{2, 0, 4, 6}));
  EXPECT_THROW(gather(x, 1, longs({2}, {1, 1})), Error);
}

TEST(Select, ScatterAddAccumulatesRepeatedIndices) {
  Tensor x = zeros({2, 3}, {DType::Float32});
  scatter_add_(x, 1, longs({0, 0, 2, 1, 1, 1}, {2, 3}), from({1, 2, 3, 4, 5, 6}, {2, 3}));
  EXPECT_EQ(values(x), (std::vector<double>{3, 0, 3, 0, 15, 0}));
}

TEST(Select, CatPromotesAndFlipCopies) {
  Tensor a = longs({1, 2}, {1, 2});
  Tensor b = from({3.5f, 4.5f}, {1, 2});
  Tensor c = cat({a, b}, 0);
  EXPECT_EQ(c.dtype(), DType::Float32);
  EXPECT_EQ(values(c), (std::vector<double>{1, 2, 3.5, 4.5}));
  Tensor f = flip(c, {0, 1});
  EXPECT_EQ(values(f), (std::vector<double>{4.5, 3.5, 2, 1}));
  EXPECT_TRUE(f.is_contiguous());
  EXPECT_EQ(values(roll(c, {1}, {1})), (std::vector<double>{2, 1, 4.5, 3.5}));
}

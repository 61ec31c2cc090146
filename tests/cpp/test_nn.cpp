// The nn op layer (csrc/ops/nn*.cpp) checked with hand-computed values: softmax rows, pooling
// indices, nll_loss with ignore_index, batch norm running statistics, pad cropping, dropout masks.
#include <gtest/gtest.h>

#include <cmath>

#include "core/rng.h"
#include "ops/nn.h"
#include "ops/ops.h"

using namespace pe;

namespace {
Tensor from(const std::vector<double>& v, const DimVector& sizes, DType dt = DType::Float64) {
  Tensor t = empty(sizes, {DType::Float64});
  for (size_t i = 0; i < v.size(); ++i) t.data_ptr<double>()[i] = v[i];
  return to(t, dt, std::nullopt);
}
double val(const Tensor& t, int64_t i) { return to(contiguous(t), DType::Float64, std::nullopt).data_ptr<double>()[i]; }
}  // namespace

TEST(NnSoftmax, RowsSumToOneAndLogMatches) {
  Tensor x = from({1, 2, 3, 1000, 1000, 1000}, {2, 3}, DType::Float32);
  Tensor y = softmax(x, 1), ly = log_softmax(x, 1);
  for (int r = 0; r < 2; ++r) {
    double s = 0;
    for (int c = 0; c < 3; ++c) s += val(y, r * 3 + c);
    EXPECT_NEAR(s, 1.0, 1e-6);
  }
  EXPECT_NEAR(val(y, 3), 1.0 / 3, 1e-6);
  EXPECT_NEAR(val(ly, 0), 1 - (3 + std::log(std::exp(-2.0) + std::exp(-1.0) + 1)), 1e-6);
}

TEST(NnPool, MaxPoolIndicesAreFlatPerPlane) {
  Tensor x = from({1, 5, 2, 0, 3, 4, 9, 8, 7}, {1, 1, 3, 3});
  auto [out, idx] = max_pool2d_with_indices(x, {2, 2}, {1, 1}, {0, 0}, {1, 1}, false);
  EXPECT_EQ(out.sizes(), (DimVector{1, 1, 2, 2}));
  EXPECT_EQ(val(out, 0), 5);
  EXPECT_EQ(idx.data_ptr<int64_t>()[0], 1);
  EXPECT_EQ(idx.data_ptr<int64_t>()[2], 6);
  Tensor g = max_pool2d_backward(ones({1, 1, 2, 2}, {DType::Float64}), x, idx);
  EXPECT_EQ(val(g, 1), 2);  // the two top windows both pick the 5
  EXPECT_EQ(val(g, 6), 1);
  EXPECT_EQ(val(g, 7), 1);
}

TEST(NnLoss, NllLossIgnoresAndWeights) {
  Tensor logp = from({-1, -2, -3, -4, -5, -6}, {3, 2});
  Tensor target = to(from({0, 1, 1}, {3}), DType::Int64, std::nullopt);
  Tensor w = from({1, 3}, {2});
  auto [loss, total] = nll_loss_forward(logp, target, w, Reduction::Mean, 1);  // ignore class 1
  EXPECT_DOUBLE_EQ(val(loss, 0), 1.0);
  EXPECT_DOUBLE_EQ(val(total, 0), 1.0);
  Tensor s = nll_loss(logp, target, w, Reduction::Sum, -100);
  EXPECT_DOUBLE_EQ(val(s, 0), 1 + 3 * 4 + 3 * 6);
  Tensor bad = to(from({0, 2, 1}, {3}), DType::Int64, std::nullopt);
  EXPECT_THROW(nll_loss(logp, bad, Tensor(), Reduction::Mean, -100), IndexError);
}

TEST(NnNorm, BatchNormUpdatesRunningStats) {
  Tensor x = from({1, 10, 3, 20}, {2, 2});
  Tensor rm = zeros({2}, {DType::Float64}), rv = ones({2}, {DType::Float64});
  Tensor y = batch_norm(x, rm, rv, Tensor(), Tensor(), true, 0.5, 0.0);
  EXPECT_NEAR(val(y, 0), -1, 1e-12);
  EXPECT_NEAR(val(rm, 0), 1.0, 1e-12);   // 0.5 * mean(1, 3)
  EXPECT_NEAR(val(rv, 1), 0.5 + 0.5 * 50, 1e-12);  // unbiased var of (10, 20) = 50
}

TEST(NnPad, NegativePadsCrop) {
  Tensor x = from({1, 2, 3, 4}, {4});
  Tensor y = constant_pad_nd(x, {-1, 2}, Scalar(9.0));
  ASSERT_EQ(y.sizes(), (DimVector{5}));
  EXPECT_EQ(val(y, 0), 2);
  EXPECT_EQ(val(y, 3), 9);
}

TEST(NnDropout, MaskAndScaleAgree) {
  manual_seed(3);
  Tensor x = ones({1000}, {DType::Float32});
  auto [out, mask] = native_dropout(x, 0.25, true);
  int kept = 0;
  for (int i = 0; i < 1000; ++i) {
    bool k = mask.data_ptr<bool>()[i];
    kept += k;
    EXPECT_FLOAT_EQ(out.data_ptr<float>()[i], k ? 1.0f / 0.75f : 0.0f);
  }
  EXPECT_NEAR(kept / 1000.0, 0.75, 0.05);
  EXPECT_TRUE(dropout(x, 0.5, false).is_same(x));
}

TEST(NnConv, DirectAndIm2colPathsAgreeWithSums) {
  // All-ones input and weight: each output counts the taps inside the (padded) input.
  Tensor x = ones({1, 2, 5, 5}, {DType::Float32});
  Tensor w = ones({3, 2, 3, 3}, {DType::Float32});
  Tensor b = from({1, 2, 3}, {3}, DType::Float32);
  Tensor direct = conv2d(x, w, b, {1, 1}, {1, 1}, {1, 1}, 1);  // stride 1: the direct kernel
  EXPECT_EQ(direct.sizes(), (DimVector{1, 3, 5, 5}));
  EXPECT_FLOAT_EQ(direct.data_ptr<float>()[0], 2 * 4 + 1);          // corner: 2x2 taps per channel
  EXPECT_FLOAT_EQ(direct.data_ptr<float>()[25 + 12], 2 * 9 + 2);    // centre of channel 1
  Tensor strided = conv2d(x, w, b, {2, 2}, {1, 1}, {1, 1}, 1);       // stride 2: im2col + GEMM
  EXPECT_EQ(strided.sizes(), (DimVector{1, 3, 3, 3}));
  EXPECT_FLOAT_EQ(strided.data_ptr<float>()[4], 2 * 9 + 1);
  Tensor gw = conv2d_backward_weight(ones({1, 3, 5, 5}, {DType::Float32}), x, w.sizes(), {1, 1}, {1, 1}, {1, 1}, 1);
  EXPECT_FLOAT_EQ(gw.data_ptr<float>()[4], 25);  // centre tap sees every input element once
  EXPECT_FLOAT_EQ(gw.data_ptr<float>()[0], 16);  // corner tap misses one row and one column
  Tensor gb = conv2d_backward_bias(ones({2, 3, 4, 4}, {DType::Float32}));
  EXPECT_FLOAT_EQ(gb.data_ptr<float>()[2], 32);
}

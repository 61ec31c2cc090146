// The elementwise op library from C++: the vectorizable exp against long double, the integer and
// floor-division functors on the corners PyTorch defines, the scalar-operand loops of cpu_kernel,
// and a few ops end to end (promotion, broadcasting, in-place).
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>

#include "cpu/loop.h"
#include "ops/elementwise.h"
#include "ops/elementwise_functors.h"

using namespace pe;

namespace {
double ulps(float got, double want) {
  float w = static_cast<float>(want);
  double spacing = std::nextafter(std::fabs(w), INFINITY) - std::fabs(w);
  if (std::fabs(w) < std::numeric_limits<float>::min()) spacing = std::ldexp(1.0, -149);
  return std::fabs(got - want) / spacing;
}
Tensor floats(std::initializer_list<float> v) {
  Tensor t = empty({(int64_t)v.size()}, {DType::Float32});
  std::memcpy(t.raw_data(), v.begin(), v.size() * sizeof(float));
  return t;
}
}  // namespace

TEST(FastExp, WithinTwoUlpEverywhere) {
  double worst = 0, worst_fma = 0;
  for (float x = -103.9f; x < 88.7f; x = std::nextafter(x + 1e-3f * std::fabs(x), INFINITY)) {
    worst = std::max(worst, ulps(math::exp_f32(x), std::exp((long double)x)));
    worst_fma = std::max(worst_fma, ulps(math::exp_f32<true>(x), std::exp((long double)x)));  // the AVX loops' variant
  }
  EXPECT_LE(worst, 2.0);
  EXPECT_LE(worst_fma, 2.0);
}

TEST(FastExp, SpecialValues) {
  EXPECT_TRUE(std::isnan(math::exp_f32(NAN)));
  EXPECT_EQ(math::exp_f32(INFINITY), INFINITY);
  EXPECT_EQ(math::exp_f32(-INFINITY), 0.0f);
  EXPECT_EQ(math::exp_f32(89.0f), INFINITY);
  EXPECT_EQ(math::exp_f32(-105.0f), 0.0f);
  EXPECT_EQ(math::exp_f32(0.0f), 1.0f);
  EXPECT_GT(math::exp_f32(-100.0f), 0.0f);  // subnormal result, not flushed
}

// Integer arithmetic wraps as two's complement (PyTorch's behaviour) and is computed in unsigned:
// under -fsanitize=undefined (tools: g++ -fsanitize=undefined -fno-sanitize-recover=all) these
// corners report no signed overflow, which the functors of the old functors.h did.
TEST(Functors, IntegerArithmeticWraps) {
  constexpr int64_t mx = std::numeric_limits<int64_t>::max(), mn = std::numeric_limits<int64_t>::min();
  EXPECT_EQ((BinaryMathFunctor<int64_t, BinaryMathOp::Add>()(mx, 1)), mn);
  EXPECT_EQ((BinaryMathFunctor<int64_t, BinaryMathOp::Sub>()(mn, 1)), mx);
  EXPECT_EQ((BinaryMathFunctor<int64_t, BinaryMathOp::Mul>()(mx, 3)), mx - 2);
  EXPECT_EQ((BinaryMathFunctor<int32_t, BinaryMathOp::Mul>()(1 << 30, 4)), 0);
  EXPECT_EQ((BinaryMathFunctor<int16_t, BinaryMathOp::Mul>()(-32768, -32768)), 0);
  EXPECT_EQ((BinaryMathFunctor<uint8_t, BinaryMathOp::Mul>()(255, 255)), 1);
  EXPECT_EQ((BinaryMathFunctor<int64_t, BinaryMathOp::Pow>()(3, 41)), int64_t(-420491770248316829));  // 3**41 mod 2**64
  EXPECT_EQ((UnaryMiscFunctor<int64_t, UnaryMiscOp::Neg>()(mn)), mn);
  EXPECT_EQ((UnaryMiscFunctor<int64_t, UnaryMiscOp::Abs>()(mn)), mn);
  EXPECT_EQ((UnaryMiscFunctor<int8_t, UnaryMiscOp::Abs>()(-128)), -128);
  EXPECT_EQ((UnaryMiscFunctor<int32_t, UnaryMiscOp::Abs>()(-7)), 7);
  EXPECT_EQ((UnaryMiscFunctor<uint8_t, UnaryMiscOp::Neg>()(1)), 255);
  EXPECT_EQ((AddAlphaFunctor<int64_t>{2}(1, mx)), int64_t(-1));
}

TEST(Functors, IntegerDivisionFollowsPython) {
  BinaryMathFunctor<int64_t, BinaryMathOp::DivFloor> fdiv;
  BinaryMathFunctor<int64_t, BinaryMathOp::Remainder> rem;
  BinaryMathFunctor<int64_t, BinaryMathOp::Fmod> fmod;
  EXPECT_EQ(fdiv(-7, 2), -4);
  EXPECT_EQ(fdiv(7, -2), -4);
  EXPECT_EQ(rem(-7, 2), 1);
  EXPECT_EQ(rem(7, -2), -1);
  EXPECT_EQ(fmod(-7, 2), -1);
  // INT_MIN / -1 must not trap
  EXPECT_EQ(fdiv(std::numeric_limits<int64_t>::min(), -1), std::numeric_limits<int64_t>::min());
  EXPECT_EQ(rem(std::numeric_limits<int64_t>::min(), -1), 0);
}

TEST(Functors, FloatFloorDivideAndRemainder) {
  BinaryMathFunctor<double, BinaryMathOp::DivFloor> fdiv;
  BinaryMathFunctor<double, BinaryMathOp::Remainder> rem;
  EXPECT_EQ(fdiv(-3.0, INFINITY), -1.0);
  EXPECT_EQ(rem(-3.0, INFINITY), INFINITY);
  EXPECT_EQ(fdiv(7.5, 2.0), 3.0);
  EXPECT_EQ(rem(-7.5, 2.0), 0.5);
  EXPECT_TRUE(std::signbit(fdiv(-0.0, 5.0)));
}

TEST(Functors, IntegerPowAndShifts) {
  BinaryMathFunctor<int64_t, BinaryMathOp::Pow> ipow;
  EXPECT_EQ(ipow(3, 4), 81);
  EXPECT_EQ(ipow(2, -1), 0);
  EXPECT_EQ(ipow(-1, -3), -1);
  EXPECT_EQ(ipow(1, -5), 1);
  BinaryMathFunctor<int8_t, BinaryMathOp::Pow> i8pow;
  EXPECT_EQ(i8pow(2, 7), -128);  // wraps
  BinaryMathFunctor<int32_t, BinaryMathOp::LeftShift> shl;
  BinaryMathFunctor<int32_t, BinaryMathOp::RightShift> shr;
  EXPECT_EQ(shl(1, 40), 0);
  EXPECT_EQ(shr(-8, 40), -1);
  EXPECT_EQ(shr(8, -1), 0);
}

TEST(Functors, MinMaxNan) {
  BinaryMathFunctor<float, BinaryMathOp::Maximum> mx;
  BinaryMathFunctor<float, BinaryMathOp::Fmax> fmx;
  EXPECT_TRUE(std::isnan(mx(NAN, 1.0f)));
  EXPECT_TRUE(std::isnan(mx(1.0f, NAN)));
  EXPECT_EQ(fmx(NAN, 1.0f), 1.0f);
  UnaryMiscFunctor<float, UnaryMiscOp::Relu> relu;
  EXPECT_TRUE(std::isnan(relu(NAN)));
  EXPECT_EQ(relu(-2.0f), 0.0f);
}

TEST(CpuKernel, ScalarOperandLoopsMatchStrided) {
  // x (dense) with a broadcast 0-d tensor on either side, and clamp with two number bounds
  Tensor x = floats({-2, -1, 0, 1, 2, 3, 4, 5});
  Tensor two = scalar_tensor(Scalar(2.0), DType::Float32);
  Tensor a = maximum(x, two), b = maximum(two, x);
  Tensor c = clamp(x, TensorOrScalar(Scalar(0.0)), TensorOrScalar(Scalar(3.0)));
  const float* pa = a.data_ptr<float>();
  const float* pb = b.data_ptr<float>();
  const float* pc = c.data_ptr<float>();
  for (int i = 0; i < 8; ++i) {
    float v = (float)i - 2;
    EXPECT_EQ(pa[i], std::max(v, 2.0f));
    EXPECT_EQ(pb[i], std::max(v, 2.0f));
    EXPECT_EQ(pc[i], std::min(std::max(v, 0.0f), 3.0f));
  }
}

TEST(ElementwiseOps, PromotionAndInPlace) {
  Tensor i = arange(Scalar(int64_t(0)), Scalar(int64_t(4)), Scalar(int64_t(1)), {});
  EXPECT_EQ(sqrt(i).dtype(), DType::Float32);
  EXPECT_EQ(eq(i, TensorOrScalar(Scalar(2.5))).dtype(), DType::Bool);
  EXPECT_EQ(floor_divide(i, TensorOrScalar(Scalar(2))).dtype(), DType::Int64);
  EXPECT_THROW(floor_divide(i, TensorOrScalar(Scalar(int64_t(0)))), Error);
  EXPECT_THROW(sqrt_(i), Error);  // float result into int64
  Tensor f = to(i, DType::Float32, std::nullopt);
  uint32_t v0 = f->version();
  exp_(f);
  EXPECT_GT(f->version(), v0);
  EXPECT_NEAR(f.data_ptr<float>()[3], std::exp(3.0f), 1e-5);
}

// Core facts: dtypes and promotion, 16-bit float conversion, shape arithmetic, the allocator and
// the Philox generator.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>

#include "core/allocator.h"
#include "core/cast.h"
#include "core/dtype.h"
#include "core/rng.h"
#include "core/shape.h"

using namespace pe;

TEST(DType, ElementSizesAndNames) {
  EXPECT_EQ(element_size(DType::Bool), 1);
  EXPECT_EQ(element_size(DType::Float16), 2);
  EXPECT_EQ(element_size(DType::BFloat16), 2);
  EXPECT_EQ(element_size(DType::Int64), 8);
  EXPECT_STREQ(dtype_name(DType::Float32), "float32");
  EXPECT_EQ(dtype_from_name("long"), DType::Int64);
  EXPECT_THROW(dtype_from_name("float128"), TypeError);
}

TEST(DType, PromotionMatchesPyTorch) {
  EXPECT_EQ(promote_types(DType::UInt8, DType::Int8), DType::Int16);
  EXPECT_EQ(promote_types(DType::Bool, DType::Int32), DType::Int32);
  EXPECT_EQ(promote_types(DType::Int64, DType::Float16), DType::Float16);
  EXPECT_EQ(promote_types(DType::Float16, DType::BFloat16), DType::Float32);
  EXPECT_EQ(promote_types(DType::Float32, DType::Float64), DType::Float64);
  for (int a = 0; a < kNumDTypes; ++a)
    for (int b = 0; b < kNumDTypes; ++b)
      EXPECT_EQ(promote_types((DType)a, (DType)b), promote_types((DType)b, (DType)a));
}

TEST(Half, RoundTripsAndRounding) {
  for (float f : {0.0f, -0.0f, 1.0f, -2.5f, 65504.0f, 6.1035156e-05f, 5.9604645e-08f}) {
    EXPECT_EQ((float)Half(f), f) << f;
  }
  EXPECT_TRUE(std::isinf((float)Half(65520.0f)));
  EXPECT_TRUE(std::isnan((float)Half(NAN)));
  EXPECT_EQ((float)Half(1.0f + 1.0f / 4096), 1.0f);  // ties to even
  EXPECT_EQ((float)Half(2049.0f), 2048.0f);
  // Every half bit pattern survives half -> float -> half.
  for (uint32_t bits = 0; bits < 65536; ++bits) {
    Half h((uint16_t)bits, Half::from_bits_t{});
    float f = h;
    if (std::isnan(f)) continue;
    EXPECT_EQ(Half(f).x, (uint16_t)bits);
  }
}

TEST(BFloat16, Rounding) {
  EXPECT_EQ((float)BFloat16(1.0f), 1.0f);
  EXPECT_EQ((float)BFloat16(3.140625f), 3.140625f);
  EXPECT_EQ((float)BFloat16(1.00390625f), 1.0f);  // halfway: to even
  EXPECT_TRUE(std::isnan((float)BFloat16(NAN)));
}

TEST(Cast, FloatToSmallIntsWrapAsOnX86) {
  EXPECT_EQ(cast_value<uint8_t>(-1.0), 255);
  EXPECT_EQ(cast_value<bool>(0.5f), true);
  EXPECT_EQ(cast_value<int32_t>(Half(3.75f)), 3);
  EXPECT_EQ((float)cast_value<BFloat16>(Half(2.0f)), 2.0f);
}

TEST(Shape, WrapDim) {
  EXPECT_EQ(wrap_dim(-1, 3), 2);
  EXPECT_EQ(wrap_dim(0, 0), 0);
  EXPECT_THROW(wrap_dim(3, 3), IndexError);
  EXPECT_THROW(wrap_dim(-4, 3), IndexError);
}

TEST(Shape, Broadcast) {
  EXPECT_EQ(broadcast_shapes({3, 1}, {2, 1, 4}), (DimVector{2, 3, 4}));
  EXPECT_EQ(broadcast_shapes({}, {5}), (DimVector{5}));
  EXPECT_EQ(broadcast_shapes({0, 1}, {1, 3}), (DimVector{0, 3}));
  try {
    broadcast_shapes({3}, {4});
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("The size of tensor a (3) must match the size of tensor b (4)"),
              std::string::npos);
  }
}

TEST(Shape, InferSizeAndStrides) {
  EXPECT_EQ(infer_size({-1, 3}, 6), (DimVector{2, 3}));
  EXPECT_THROW(infer_size({-1, 4}, 6), Error);
  EXPECT_THROW(infer_size({-1, -1}, 6), Error);
  EXPECT_EQ(contiguous_strides({2, 3, 4}), (DimVector{12, 4, 1}));
  EXPECT_EQ(contiguous_strides({2, 0, 3}), (DimVector{3, 3, 1}));
  EXPECT_TRUE(is_contiguous_geometry({2, 3}, {3, 1}));
  EXPECT_FALSE(is_contiguous_geometry({2, 3}, {1, 2}));
  EXPECT_TRUE(is_contiguous_geometry({1, 3}, {100, 1}));
  EXPECT_THROW(checked_numel({1LL << 40, 1LL << 40}), Error);
  EXPECT_THROW(checked_numel({2, -1}), Error);
}

TEST(Shape, ViewStrides) {
  // contiguous: any view works
  EXPECT_EQ(*view_strides({2, 3}, {3, 1}, {3, 2}), (DimVector{2, 1}));
  EXPECT_EQ(*view_strides({2, 3}, {3, 1}, {6}), (DimVector{1}));
  // transposed: flattening needs a copy, splitting a dim does not
  EXPECT_FALSE(view_strides({3, 2}, {1, 3}, {6}).has_value());
  EXPECT_EQ(*view_strides({4, 2}, {1, 4}, {2, 2, 2}), (DimVector{2, 1, 4}));
  // size-1 dims anywhere
  EXPECT_EQ(view_strides({2, 3}, {3, 1}, {1, 2, 1, 3})->size(), 4u);
}

TEST(Allocator, CachesAndReportsMemory) {
  Allocator* a = cpu_allocator();
  a->empty_cache();
  size_t before = a->memory_allocated();
  void* p1;
  {
    DataPtr d = a->allocate(1000);
    p1 = d.get();
    EXPECT_EQ(reinterpret_cast<uintptr_t>(p1) % 64, 0u);
    EXPECT_GE(a->memory_allocated(), before + 1000);
  }
  EXPECT_EQ(a->memory_allocated(), before);
  EXPECT_GE(a->memory_reserved(), before + 1000);
  DataPtr d2 = a->allocate(1000);
  EXPECT_EQ(d2.get(), p1);  // the freed block is reused
  d2.reset();
  a->empty_cache();
  EXPECT_EQ(a->memory_reserved(), a->memory_allocated());
  EXPECT_THROW(a->allocate(size_t(1) << 62), Error);
}

TEST(Philox, KnownAnswerAndDeterminism) {
  // Random123's known-answer test for philox4x32-10 with zero counter and key.
  Philox g(0);
  uint32_t out[4];
  g(0, out);
  EXPECT_EQ(out[0], 0x6627e8d5u);
  EXPECT_EQ(out[1], 0xe169c58du);
  EXPECT_EQ(out[2], 0xbc57ac4cu);
  EXPECT_EQ(out[3], 0x9b00dbd8u);
  double u = philox_uniform_at(Philox(42), 7, 13, 24);
  EXPECT_EQ(u, philox_uniform_at(Philox(42), 7, 13, 24));
  EXPECT_GE(u, 0.0);
  EXPECT_LT(u, 1.0);
}

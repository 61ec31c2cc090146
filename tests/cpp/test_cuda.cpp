// Facts about the CUDA part, checked through the same stubs the op layer uses: copies between host
// and device (strided, with casts), fills, arange, Philox numbers equal to the CPU's, and the caching
// allocator. Every test but the first skips on a machine without a GPU; the whole file is empty in a
// build without CUDA.
#ifdef PE_WITH_CUDA
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "core/cast.h"
#include "core/rng.h"
#include "cuda/allocator.h"
#include "cuda/device.h"
#include "cuda/register.h"
#include "ops/stubs.h"

namespace {

using pe::DType;
using pe::Tensor;

const pe::Device kCpu;
const pe::Device kCuda0(pe::DeviceType::CUDA, 0);

// The stub of the device that is not the CPU, as the op layer picks it.
void copy(const Tensor& dst, const Tensor& src) {
  pe::copy_stub(dst.device().is_cuda() ? dst.device() : src.device())(dst, src);
}

Tensor to(const Tensor& t, DType dtype, pe::Device device) {
  pe::cuda::DeviceGuard guard(device.is_cuda() ? device.index : -1);  // the allocator serves the current device
  Tensor out = pe::make_empty(t.sizes(), dtype, device);
  copy(out, t);
  return out;
}

// A CPU float32 tensor with distinct, partly negative, non-integral values.
Tensor cpu_values(const pe::DimVector& sizes) {
  Tensor t = pe::make_empty(sizes, DType::Float32, kCpu);
  float* p = t.data_ptr<float>();
  for (int64_t i = 0; i < t.numel(); ++i) p[i] = 0.75f * (float)i - 7.25f;
  return t;
}

class CudaTest : public ::testing::Test {
 protected:
  void SetUp() override {
    pe::cuda::register_cuda();
    if (pe::cuda_device_count() == 0) GTEST_SKIP() << "no CUDA device (or no driver) on this machine";
  }
};

TEST(CudaRegister, SafeWithoutDevice) {
  pe::cuda::register_cuda();
  EXPECT_TRUE(pe::cuda_compiled());
  EXPECT_GE(pe::cuda_device_count(), 0);
  pe::cuda_hooks().empty_cache();  // no CUDA call when nothing is cached
  if (pe::cuda_device_count() == 0) {
    EXPECT_EQ(pe::cuda_hooks().memory_allocated(-1), 0u);
  }
}

TEST_F(CudaTest, RoundTrip) {
  Tensor h = cpu_values({1000});
  Tensor d = to(h, DType::Float32, kCuda0);
  EXPECT_EQ(d.device(), kCuda0);
  Tensor back = to(d, DType::Float32, kCpu);
  for (int64_t i = 0; i < 1000; ++i) ASSERT_EQ(back.data_ptr<float>()[i], h.data_ptr<float>()[i]) << i;
}

TEST_F(CudaTest, StridedCastCopy) {
  Tensor h = cpu_values({4, 6});
  const float* v = h.data_ptr<float>();
  Tensor g = to(h, DType::Float32, kCuda0);

  // Same device, strided source, float -> int64.
  Tensor gt = pe::make_view(g, {6, 4}, {1, 6}, 0);
  Tensor gi = to(gt, DType::Int64, kCuda0);
  Tensor hi = to(gi, DType::Int64, kCpu);
  for (int64_t r = 0; r < 6; ++r)
    for (int64_t c = 0; c < 4; ++c)
      ASSERT_EQ(hi.data_ptr<int64_t>()[r * 4 + c], pe::cast_value<int64_t>(v[c * 6 + r])) << r << "," << c;

  // Device -> host into a transposed float64 destination.
  Tensor hd = pe::make_empty({6, 4}, DType::Float64, kCpu);
  copy(pe::make_view(hd, {4, 6}, {1, 4}, 0), g);
  for (int64_t r = 0; r < 4; ++r)
    for (int64_t c = 0; c < 6; ++c) ASSERT_EQ(hd.data_ptr<double>()[c * 4 + r], (double)v[r * 6 + c]);

  // Host -> device from a transposed source, float -> float16.
  Tensor gh = to(pe::make_view(h, {6, 4}, {1, 6}, 0), DType::Float16, kCuda0);
  Tensor back = to(gh, DType::Float32, kCpu);
  for (int64_t r = 0; r < 6; ++r)
    for (int64_t c = 0; c < 4; ++c)
      ASSERT_EQ(back.data_ptr<float>()[r * 4 + c], (float)pe::Half(v[c * 6 + r])) << r << "," << c;
}

TEST_F(CudaTest, Fill) {
  Tensor g = pe::make_empty({5, 7}, DType::Float64, kCuda0);
  pe::fill_stub(g.device())(g, pe::Scalar(0.0));
  pe::fill_stub(g.device())(pe::make_view(g, {5, 4}, {7, 2}, 0), pe::Scalar(2.5));  // even columns
  Tensor h = to(g, DType::Float64, kCpu);
  for (int64_t r = 0; r < 5; ++r)
    for (int64_t c = 0; c < 7; ++c) ASSERT_EQ(h.data_ptr<double>()[r * 7 + c], c % 2 == 0 ? 2.5 : 0.0);

  Tensor i8 = pe::make_empty({33}, DType::Int8, kCuda0);
  pe::fill_stub(i8.device())(i8, pe::Scalar((int64_t)-3));
  Tensor hi = to(i8, DType::Int8, kCpu);
  for (int64_t i = 0; i < 33; ++i) ASSERT_EQ(hi.data_ptr<int8_t>()[i], -3);

  Tensor f16 = pe::make_empty({9}, DType::Float16, kCuda0);
  pe::fill_stub(f16.device())(f16, pe::Scalar(1.5));
  Tensor hf = to(f16, DType::Float32, kCpu);
  for (int64_t i = 0; i < 9; ++i) ASSERT_EQ(hf.data_ptr<float>()[i], 1.5f);
}

TEST_F(CudaTest, Arange) {
  Tensor gi = pe::make_empty({10}, DType::Int64, kCuda0);
  pe::arange_stub(gi.device())(gi, pe::Scalar((int64_t)5), pe::Scalar((int64_t)-3));
  Tensor hi = to(gi, DType::Int64, kCpu);
  for (int64_t i = 0; i < 10; ++i) ASSERT_EQ(hi.data_ptr<int64_t>()[i], 5 - 3 * i);

  Tensor gf = pe::make_empty({7}, DType::Float32, kCuda0);
  pe::arange_stub(gf.device())(gf, pe::Scalar(0.5), pe::Scalar(0.25));
  Tensor hf = to(gf, DType::Float32, kCpu);
  for (int64_t i = 0; i < 7; ++i) ASSERT_EQ(hf.data_ptr<float>()[i], 0.5f + 0.25f * (float)i);
}

// The value uniform_ must give element i (Note [Random number layout]); the product is kept apart
// from the sum so the host compiler cannot fuse them either.
template <class T>
float expected_uniform(uint64_t seed, uint64_t first_block, int64_t i, int bits, double from, double to) {
  volatile double scaled = (to - from) * pe::philox_uniform_at(pe::Philox(seed), first_block, i, bits);
  return (float)pe::cast_value<T>(from + scaled);
}

template <class T>
void check_uniform(DType dtype, int bits) {
  const uint64_t seed = 1234, first = 5;
  const double from = -2.0, to_ = 3.0;
  // A transposed destination: element (r, c) of the view has row-major index r * 37 + c.
  Tensor buf = pe::make_empty({37, 29}, dtype, kCuda0);
  Tensor view = pe::make_view(buf, {29, 37}, {1, 29}, 0);
  pe::uniform_stub(view.device())(view, from, to_, seed, first);
  Tensor h = to(buf, DType::Float32, kCpu);
  for (int64_t r = 0; r < 29; ++r)
    for (int64_t c = 0; c < 37; ++c)
      ASSERT_EQ(h.data_ptr<float>()[c * 29 + r], expected_uniform<T>(seed, first, r * 37 + c, bits, from, to_))
          << pe::dtype_name(dtype) << " at " << r << "," << c;

  // And the CPU kernel gives the same numbers for a contiguous tensor.
  Tensor g = pe::make_empty({1001}, dtype, kCuda0);
  Tensor c = pe::make_empty({1001}, dtype, kCpu);
  pe::uniform_stub(g.device())(g, from, to_, seed, first);
  pe::uniform_stub(kCpu)(c, from, to_, seed, first);
  Tensor gh = to(g, DType::Float32, kCpu), ch = to(c, DType::Float32, kCpu);
  for (int64_t i = 0; i < 1001; ++i) ASSERT_EQ(gh.data_ptr<float>()[i], ch.data_ptr<float>()[i]) << i;
}

TEST_F(CudaTest, UniformMatchesCpu) {
  check_uniform<float>(DType::Float32, 24);
  check_uniform<pe::Half>(DType::Float16, 11);
  check_uniform<pe::BFloat16>(DType::BFloat16, 8);

  // float64 keeps all 53 bits: compare in double.
  Tensor g = pe::make_empty({1003}, DType::Float64, kCuda0);
  pe::uniform_stub(g.device())(g, 0.0, 1.0, 42, 0);
  Tensor h = to(g, DType::Float64, kCpu);
  for (int64_t i = 0; i < 1003; ++i) ASSERT_EQ(h.data_ptr<double>()[i], pe::philox_uniform_at(pe::Philox(42), 0, i, 53));
}

TEST_F(CudaTest, NormalMatchesCpu) {
  // Device log/cos may differ from the host's libm in the last bit: compare to 1e-12.
  const int64_t n = 1001;
  Tensor g = pe::make_empty({n}, DType::Float64, kCuda0);
  pe::normal_stub(g.device())(g, 1.0, 2.0, 7, 3);
  Tensor h = to(g, DType::Float64, kCpu);
  for (int64_t i = 0; i < n; ++i) {
    const double e = 1.0 + 2.0 * pe::philox_normal_at(pe::Philox(7), 3, n, i);
    ASSERT_NEAR(h.data_ptr<double>()[i], e, 1e-12 * std::max(1.0, std::fabs(e))) << i;
  }
}

TEST_F(CudaTest, AllocatorCachesBlocks) {
  const size_t base = pe::cuda::memory_allocated(0);
  void* first = nullptr;
  {
    Tensor t = pe::make_empty({1 << 18}, DType::Float32, kCuda0);  // 1 MiB
    first = t.raw_data();
    EXPECT_GE(pe::cuda::memory_allocated(0), base + (1 << 20));
    EXPECT_GE(pe::cuda::memory_reserved(0), pe::cuda::memory_allocated(0));
  }
  EXPECT_EQ(pe::cuda::memory_allocated(0), base);
  EXPECT_GE(pe::cuda::memory_reserved(0), base + (1 << 20));  // kept in the cache
  {
    Tensor t = pe::make_empty({1 << 18}, DType::Float32, kCuda0);
    EXPECT_EQ(t.raw_data(), first);  // served from the cache
  }
  pe::cuda::empty_cache();
  EXPECT_EQ(pe::cuda::memory_reserved(0), pe::cuda::memory_allocated(0));
}

TEST_F(CudaTest, OutOfMemoryIsAnError) {
  try {
    pe::cuda::cuda_allocator()->allocate_on(size_t(1) << 50, 0);  // 1 PiB
    FAIL() << "expected an out-of-memory error";
  } catch (const pe::Error& e) {
    EXPECT_NE(std::string(e.what()).find("CUDA out of memory"), std::string::npos) << e.what();
  }
  // The failed cudaMalloc must not surface as the error of the next launch.
  Tensor g = pe::make_empty({3}, DType::Float32, kCuda0);
  pe::fill_stub(g.device())(g, pe::Scalar(1.0));
  pe::cuda_hooks().synchronize(0);
}

TEST_F(CudaTest, CopyBetweenGpus) {
  if (pe::cuda_device_count() < 2) GTEST_SKIP() << "needs two CUDA devices";
  const pe::Device cuda1(pe::DeviceType::CUDA, 1);
  Tensor h = cpu_values({4, 6});
  Tensor g0 = to(h, DType::Float32, kCuda0);
  Tensor g1 = to(g0, DType::Float32, cuda1);  // one peer copy
  EXPECT_EQ(g1.device(), cuda1);
  Tensor g1t = to(pe::make_view(g0, {6, 4}, {1, 6}, 0), DType::Float64, cuda1);  // staged, cast on cuda:1
  Tensor a = to(g1, DType::Float32, kCpu), b = to(g1t, DType::Float64, kCpu);
  for (int64_t r = 0; r < 4; ++r)
    for (int64_t c = 0; c < 6; ++c) {
      ASSERT_EQ(a.data_ptr<float>()[r * 6 + c], h.data_ptr<float>()[r * 6 + c]);
      ASSERT_EQ(b.data_ptr<double>()[c * 4 + r], (double)h.data_ptr<float>()[r * 6 + c]);
    }
}

}  // namespace
#endif  // PE_WITH_CUDA

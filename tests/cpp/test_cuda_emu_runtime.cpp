// The emulated device's 16-bit float types (cuda/emu/cuda_fp16.h, cuda_bf16.h) and its memcheck of
// out-of-bounds reads and writes through guard pages (Note [Emulator guard pages]), and stream time
// (Note [Emulator streams]). Built only in the PYENGINE_CUDA=EMULATE build.
#if defined(PE_CUDA_EMULATE)
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/half.h"
#include "cuda/launch.cuh"

namespace {

using pe::cuda::launch_kernel;

float half_round(float f) { return (float)pe::Half(f); }
float bf16_round(float f) { return (float)pe::BFloat16(f); }

// Every pair of a spread of halves: the intrinsics give the correctly rounded result of the exact
// operation, which for these operations is the float result rounded once.
TEST(CudaEmuHalf, ArithmeticIsCorrectlyRounded) {
  std::vector<float> vals;
  for (int i = -40; i <= 40; ++i) vals.push_back(half_round(std::ldexp(1.0f + i / 41.0f, i / 4)));
  vals.push_back(65504.0f);
  vals.push_back(std::ldexp(1.0f, -24));  // the smallest subnormal
  for (float a : vals)
    for (float b : vals) {
      const __half ha = __float2half(a), hb = __float2half(b);
      EXPECT_EQ(__half2float(__hadd(ha, hb)), half_round(a + b)) << a << " + " << b;
      EXPECT_EQ(__half2float(__hsub(ha, hb)), half_round(a - b)) << a << " - " << b;
      EXPECT_EQ(__half2float(__hmul(ha, hb)), half_round(a * b)) << a << " * " << b;
      EXPECT_EQ(__half2float(__hdiv(ha, hb)), half_round(a / b)) << a << " / " << b;
      EXPECT_EQ(__half2float(ha * hb + ha), half_round(half_round(a * b) + a));
      EXPECT_EQ(__hlt(ha, hb), a < b);
      EXPECT_EQ(__heq(ha, hb), a == b);
      const __nv_bfloat16 ba = __float2bfloat16(a), bb = __float2bfloat16(b);
      const float fa = __bfloat162float(ba), fb = __bfloat162float(bb);
      EXPECT_EQ(__bfloat162float(__hadd(ba, bb)), bf16_round(fa + fb));
      EXPECT_EQ(__bfloat162float(__hmul(ba, bb)), bf16_round(fa * fb));
      EXPECT_EQ(__bfloat162float(__hdiv(ba, bb)), bf16_round(fa / fb));
    }
}

TEST(CudaEmuHalf, ConversionsAndSpecialValues) {
  EXPECT_EQ(__half_as_ushort(__float2half(1.0f)), 0x3c00);
  EXPECT_EQ(__bfloat16_as_ushort(__float2bfloat16(1.0f)), 0x3f80);
  EXPECT_EQ(__half2float(__ushort_as_half(0x7bff)), 65504.0f);
  EXPECT_EQ(__half2float(__float2half(1.0f / 3)), half_round(1.0f / 3));
  EXPECT_EQ(__half2float(__float2half(65520.0f)), std::numeric_limits<float>::infinity());  // rounds up to inf
  EXPECT_EQ(__hisinf(__hadd(__float2half(65504.0f), __float2half(65504.0f))), 1);
  EXPECT_EQ(__hisinf(__hneg(__float2half(INFINITY))), -1);
  const __half nan = __float2half(NAN);
  EXPECT_TRUE(__hisnan(nan));
  EXPECT_FALSE(__heq(nan, nan));
  EXPECT_FALSE(__hne(nan, nan));  // ordered: false with a NaN
  EXPECT_TRUE(__hneu(nan, nan));  // unordered: true with a NaN
  EXPECT_EQ(__half2float(__hmax(nan, __float2half(2.0f))), 2.0f);
  EXPECT_TRUE(__hisnan(__hmax_nan(nan, __float2half(2.0f))));
  EXPECT_EQ(__half2float(__habs(__float2half(-3.5f))), 3.5f);
  EXPECT_EQ(__half2int_rz(__float2half(-2.75f)), -2);
  EXPECT_EQ(__half2int_rn(__float2half(2.5f)), 2);
  EXPECT_EQ(__half2float(__int2half_rn(2049)), 2048.0f);  // ties to even
  EXPECT_EQ(__bfloat162float(__int2bfloat16_rn(257)), 256.0f);
  EXPECT_EQ(__half2float(hsqrt(__float2half(2.0f))), half_round(std::sqrt(2.0f)));
  // double -> half rounds once: 1 + 2^-11 + 2^-40 lies above the midpoint of 1 and 1 + 2^-10, which a
  // conversion through float (rounding it onto the midpoint, then to even) would miss.
  EXPECT_EQ(__half2float(__double2half(1.0 + std::ldexp(1.0, -11) + std::ldexp(1.0, -40))), 1.0f + std::ldexp(1.0f, -10));
  // fma rounds once: 1.5 * 1.5 - 2.25 is exactly 0; (1 + 2^-10)^2 - 1 keeps the 2^-20 a rounded product loses.
  const __half e = __float2half(1.0f + std::ldexp(1.0f, -10));
  EXPECT_EQ(__half2float(__hfma(e, e, __float2half(-1.0f))), half_round(std::ldexp(1.0f, -9) + std::ldexp(1.0f, -20)));
  EXPECT_EQ(__half2float(__hsub(__hmul(e, e), __float2half(1.0f))), std::ldexp(1.0f, -9));
  const __half2 p = __floats2half2_rn(1.5f, -2.0f);
  const __half2 q = __hadd2(p, __halves2half2(__float2half(0.25f), __float2half(0.5f)));
  EXPECT_EQ(__low2float(q), 1.75f);
  EXPECT_EQ(__high2float(q), -1.5f);
}

// Kernels using both types, with a warp shuffle of a __half.
__global__ void half_axpy_kernel(const __half* x, __half* y, __nv_bfloat16* z, int n) {
  const int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i >= n) return;
  const __half two = __float2half(2.0f);
  y[i] = __hfma(two, x[i], y[i]);
  z[i] = __float2bfloat16(__half2float(x[i]) * 3.0f);
}

__global__ void half_shfl_kernel(const __half* in, __half* out) {
  const int t = threadIdx.x;
  out[t] = __shfl_xor_sync(0xffffffffu, in[t], 1);
}

template <class T>
T* device_copy(const std::vector<T>& h) {
  T* d = nullptr;
  PE_CUDA_CHECK(cudaMalloc(reinterpret_cast<void**>(&d), h.size() * sizeof(T)));
  PE_CUDA_CHECK(cudaMemcpy(d, h.data(), h.size() * sizeof(T), cudaMemcpyHostToDevice));
  return d;
}
template <class T>
std::vector<T> host_copy(const T* d, size_t n) {
  std::vector<T> h(n);
  PE_CUDA_CHECK(cudaMemcpy(h.data(), d, n * sizeof(T), cudaMemcpyDeviceToHost));
  return h;
}

TEST(CudaEmuHalf, KernelsUseThem) {
  const int n = 100;
  std::vector<__half> x(n), y(n);
  for (int i = 0; i < n; ++i) {
    x[i] = __float2half(i * 0.125f);
    y[i] = __float2half(1.0f - i);
  }
  __half* dx = device_copy(x);
  __half* dy = device_copy(y);
  __nv_bfloat16* dz = nullptr;
  PE_CUDA_CHECK(cudaMalloc(reinterpret_cast<void**>(&dz), n * sizeof(__nv_bfloat16)));
  launch_kernel(half_axpy_kernel, 2, 64, 0, nullptr, (const __half*)dx, dy, dz, n);
  std::vector<__half> ry = host_copy(dy, n);
  std::vector<__nv_bfloat16> rz = host_copy(dz, n);
  for (int i = 0; i < n; ++i) {
    EXPECT_EQ(__half2float(ry[i]), half_round(2.0f * (i * 0.125f) + (1.0f - i))) << i;
    EXPECT_EQ(__bfloat162float(rz[i]), bf16_round(i * 0.125f * 3.0f)) << i;
  }
  __half* out = nullptr;
  PE_CUDA_CHECK(cudaMalloc(reinterpret_cast<void**>(&out), 32 * sizeof(__half)));
  launch_kernel(half_shfl_kernel, 1, 32, 0, nullptr, (const __half*)dx, out);
  std::vector<__half> rs = host_copy(out, 32);
  for (int t = 0; t < 32; ++t) EXPECT_EQ(__half2float(rs[t]), (t ^ 1) * 0.125f);
  for (void* p : {(void*)dx, (void*)dy, (void*)dz, (void*)out}) PE_CUDA_CHECK(cudaFree(p));
}

// ---- out-of-bounds accesses ----

__global__ void read_at_kernel(const float* in, float* out, long long offset) { out[0] = in[offset]; }
__global__ void write_at_kernel(float* data, long long offset) { data[offset] = 1.0f; }

std::string launch_error() {
  cudaError_t e = cudaGetLastError();
  return e == cudaSuccess ? std::string() : std::string(cudaGetErrorName(e)) + ": " + cudaGetErrorString(e);
}

struct OobTest : ::testing::Test {
  static constexpr int kN = 1024;  // 4096 bytes: the payload ends on the back guard page
  float* in = nullptr;
  float* out = nullptr;
  void SetUp() override {
    (void)cudaGetLastError();
    PE_CUDA_CHECK(cudaMalloc(reinterpret_cast<void**>(&in), kN * sizeof(float)));
    PE_CUDA_CHECK(cudaMalloc(reinterpret_cast<void**>(&out), sizeof(float)));
    PE_CUDA_CHECK(cudaMemset(in, 0, kN * sizeof(float)));
  }
  void TearDown() override {
    (void)cudaFree(in);
    (void)cudaFree(out);
    (void)cudaGetLastError();
  }
  // The error of a kernel reading in[offset], or "".
  std::string read_at(long long offset) {
    ::pe::emu::launch(read_at_kernel, 1, 1, 0, nullptr, (const float*)in, out, offset);
    return launch_error();
  }
};

TEST_F(OobTest, InBoundsReadsAreFine) {
  EXPECT_EQ(read_at(0), "");
  EXPECT_EQ(read_at(kN - 1), "");
}

TEST_F(OobTest, ReadPastTheEndIsAnIllegalAddress) {
  const std::string e = read_at(kN);
  EXPECT_NE(e.find("cudaErrorIllegalAddress"), std::string::npos) << e;
  EXPECT_NE(e.find("out-of-bounds access"), std::string::npos) << e;
  EXPECT_NE(e.find("0 bytes past the end of the 4096-byte allocation"), std::string::npos) << e;
  // Not sticky, and the guard page is armed again: the next read is fine, the next overrun is found.
  EXPECT_EQ(read_at(5), "");
  EXPECT_NE(read_at(kN + 100).find("400 bytes past the end"), std::string::npos);
}

TEST_F(OobTest, ReadFarBeforeTheStartIsAnIllegalAddress) {
  const std::string e = read_at(-2048);  // 8 KiB before: a guard page or unmapped memory
  EXPECT_NE(e.find("cudaErrorIllegalAddress"), std::string::npos) << e;
}

TEST_F(OobTest, WildReadIsAnIllegalAddressNotACrash) {
  const std::string e = read_at(-(1LL << 38));  // 1 TiB before: nothing is mapped there
  EXPECT_NE(e.find("cudaErrorIllegalAddress"), std::string::npos) << e;
  EXPECT_NE(e.find("outside every allocation"), std::string::npos) << e;
}

TEST_F(OobTest, WritePastTheEndThrowsFromLaunchKernel) {
  try {
    launch_kernel(write_at_kernel, 1, 1, 0, nullptr, in, (long long)kN + 3);
    FAIL() << "no error";
  } catch (const pe::Error& e) {
    EXPECT_NE(std::string(e.what()).find("12 bytes past the end of the 4096-byte allocation"), std::string::npos)
        << e.what();
  }
}

TEST_F(OobTest, WriteIntoTheGuardBytesIsFound) {
  float* odd = nullptr;  // 100 bytes: 156 guard bytes before the guard page
  PE_CUDA_CHECK(cudaMalloc(reinterpret_cast<void**>(&odd), 100));
  ::pe::emu::launch(write_at_kernel, 1, 1, 0, nullptr, odd, 25LL);
  const std::string e = launch_error();
  EXPECT_NE(e.find("out-of-bounds write 0 bytes past the end of the 100-byte allocation"), std::string::npos) << e;
  PE_CUDA_CHECK(cudaFree(odd));
}

// ---- stream time ----

TEST(CudaEmuStreams, DelayedStreamIsNotReadyUntilItsTime) {
  cudaStream_t s = nullptr;
  PE_CUDA_CHECK(cudaStreamCreate(&s));
  cudaEvent_t a = nullptr, b = nullptr;
  PE_CUDA_CHECK(cudaEventCreate(&a));
  PE_CUDA_CHECK(cudaEventCreate(&b));
  PE_CUDA_CHECK(cudaEventRecord(a, s));
  PE_CUDA_CHECK(::pe::emu::delay_stream(s, 200'000'000));  // 200 ms: still running when queried, even on a loaded machine
  PE_CUDA_CHECK(cudaEventRecord(b, s));
  EXPECT_EQ(cudaStreamQuery(s), cudaErrorNotReady);
  EXPECT_EQ(cudaEventQuery(b), cudaErrorNotReady);
  EXPECT_EQ(cudaEventQuery(a), cudaSuccess);
  float ms = 0;
  EXPECT_EQ(cudaEventElapsedTime(&ms, a, b), cudaErrorNotReady);
  PE_CUDA_CHECK(cudaEventSynchronize(b));
  EXPECT_EQ(cudaStreamQuery(s), cudaSuccess);
  PE_CUDA_CHECK(cudaEventElapsedTime(&ms, a, b));
  EXPECT_GE(ms, 199.9f);
  EXPECT_LT(ms, 10000.0f);
  PE_CUDA_CHECK(cudaEventDestroy(a));
  PE_CUDA_CHECK(cudaEventDestroy(b));
  PE_CUDA_CHECK(cudaStreamDestroy(s));
}

}  // namespace
#endif  // PE_CUDA_EMULATE

// Facts about the emulated CUDA device itself (cuda/emu, docs/cuda-emulator.md): barriers, shared
// memory, warp intrinsics and atomics behave as on a GPU, and the mistakes a GPU would hang on or
// compute-sanitizer would report (a barrier in divergent code, a warp intrinsic with a lane missing, an
// out-of-bounds write, a host pointer passed to a kernel, a bad launch configuration) are errors.
// Built only in the PYENGINE_CUDA=EMULATE build: the kernels here are written in the emulator's
// kernel language and compiled by the host compiler.
#if defined(PE_CUDA_EMULATE)
#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "core/error.h"
#include "cuda/launch.cuh"

namespace {

using pe::cuda::launch_kernel;

// Device memory holding `host`, freed at scope exit.
template <class T>
struct DeviceArray {
  T* ptr = nullptr;
  size_t n;
  explicit DeviceArray(const std::vector<T>& host) : n(host.size()) {
    PE_CUDA_CHECK(cudaMalloc(reinterpret_cast<void**>(&ptr), n * sizeof(T)));
    PE_CUDA_CHECK(cudaMemcpy(ptr, host.data(), n * sizeof(T), cudaMemcpyHostToDevice));
  }
  std::vector<T> get() const {
    std::vector<T> out(n);
    PE_CUDA_CHECK(cudaMemcpy(out.data(), ptr, n * sizeof(T), cudaMemcpyDeviceToHost));
    return out;
  }
  ~DeviceArray() { (void)cudaFree(ptr); }
};

// Each block reverses its 256 values through static shared memory: correct only if the barrier holds
// every thread until all have written.
__global__ void reverse_kernel(float* data) {
  __shared__ float tile[256];
  const int t = threadIdx.x;
  tile[t] = data[blockIdx.x * 256 + t];
  __syncthreads();
  data[blockIdx.x * 256 + t] = tile[255 - t];
}

TEST(CudaEmulator, SyncthreadsIsABarrier) {
  std::vector<float> h(512);
  for (int i = 0; i < 512; ++i) h[i] = (float)i;
  DeviceArray<float> d(h);
  launch_kernel(reverse_kernel, 2, 256, 0, nullptr, d.ptr);
  std::vector<float> out = d.get();
  for (int i = 0; i < 512; ++i) EXPECT_EQ(out[i], (float)((i / 256) * 256 + 255 - i % 256)) << i;
}

// A tree sum in dynamic shared memory, then a warp-shuffle sum of the last 32 values.
__global__ void block_sum_kernel(const int* in, int* out) {
  PE_DYNAMIC_SHARED(int, s);
  const int t = threadIdx.x;
  s[t] = in[blockIdx.x * blockDim.x + t];
  __syncthreads();
  for (int w = blockDim.x / 2; w >= 32; w /= 2) {
    if (t < w) s[t] += s[t + w];
    __syncthreads();
  }
  if (t < 32) {
    int v = s[t];
    for (int off = 16; off > 0; off /= 2) v += __shfl_down_sync(0xffffffffu, v, off);
    if (t == 0) out[blockIdx.x] = v;
  }
}

TEST(CudaEmulator, DynamicSharedMemoryAndShuffles) {
  std::vector<int> h(3 * 128);
  for (size_t i = 0; i < h.size(); ++i) h[i] = (int)(i * 7 % 23) - 5;
  DeviceArray<int> in(h), out(std::vector<int>(3, 0));
  launch_kernel(block_sum_kernel, 3, 128, 128 * sizeof(int), nullptr, in.ptr, out.ptr);
  std::vector<int> got = out.get();
  for (int b = 0; b < 3; ++b) {
    int want = 0;
    for (int i = 0; i < 128; ++i) want += h[b * 128 + i];
    EXPECT_EQ(got[b], want) << b;
  }
}

// out[4 * t + k]: shfl from lane 0, up 1, xor 1, and the ballot of odd lanes; votes in out2.
__global__ void warp_ops_kernel(int* out, int* votes) {
  const int t = threadIdx.x;
  out[4 * t + 0] = __shfl_sync(0xffffffffu, t * 10, 0);
  out[4 * t + 1] = __shfl_up_sync(0xffffffffu, t * 10, 1);
  out[4 * t + 2] = __shfl_xor_sync(0xffffffffu, t * 10, 1);
  out[4 * t + 3] = (int)__ballot_sync(0xffffffffu, t & 1);
  if (t == 0) {
    votes[0] = 0;
  }
  const int any = __any_sync(0xffffffffu, t == 5), all = __all_sync(0xffffffffu, t < 32), none = __any_sync(0xffffffffu, 0);
  if (t == 0) votes[0] = any + 2 * all + 4 * none;
}

TEST(CudaEmulator, WarpIntrinsics) {
  DeviceArray<int> out(std::vector<int>(4 * 32, 0)), votes(std::vector<int>(1, -1));
  launch_kernel(warp_ops_kernel, 1, 32, 0, nullptr, out.ptr, votes.ptr);
  std::vector<int> o = out.get();
  for (int t = 0; t < 32; ++t) {
    EXPECT_EQ(o[4 * t + 0], 0);
    EXPECT_EQ(o[4 * t + 1], t == 0 ? 0 : (t - 1) * 10);
    EXPECT_EQ(o[4 * t + 2], (t ^ 1) * 10);
    EXPECT_EQ((unsigned)o[4 * t + 3], 0xaaaaaaaau);
  }
  EXPECT_EQ(votes.get()[0], 3);
}

__global__ void atomics_kernel(int* i, float* f, double* d, unsigned long long* u) {
  atomicAdd(i, 1);
  atomicMax(i + 1, (int)(threadIdx.x + blockIdx.x * blockDim.x));
  atomicMin(i + 2, -(int)threadIdx.x);
  atomicAdd(f, 0.5f);
  atomicAdd(d, 0.25);
  atomicCAS(u, 0ull, 42ull);
}

TEST(CudaEmulator, Atomics) {
  DeviceArray<int> i(std::vector<int>{0, -1, 0});
  DeviceArray<float> f(std::vector<float>{0});
  DeviceArray<double> d(std::vector<double>{0});
  DeviceArray<unsigned long long> u(std::vector<unsigned long long>{0});
  launch_kernel(atomics_kernel, 4, 64, 0, nullptr, i.ptr, f.ptr, d.ptr, u.ptr);
  EXPECT_EQ(i.get(), (std::vector<int>{256, 255, -63}));
  EXPECT_EQ(f.get()[0], 128.0f);
  EXPECT_EQ(d.get()[0], 64.0);
  EXPECT_EQ(u.get()[0], 42ull);
}

__global__ void divergent_barrier_kernel(int* p) {
  if (threadIdx.x < 16) return;
  __syncthreads();
  p[threadIdx.x] = 1;
}

__global__ void missing_lane_kernel(int* p) {
  if (threadIdx.x == 3) return;
  p[threadIdx.x] = __shfl_sync(0xffffffffu, (int)threadIdx.x, 0);
}

__global__ void write_past_end_kernel(int* p, int n) { p[n + threadIdx.x] = 7; }

template <class F>
std::string error_of(F f) {
  try {
    f();
  } catch (const pe::Error& e) {
    return e.what();
  }
  return "";
}

TEST(CudaEmulator, DivergentBarrierIsAnError) {
  DeviceArray<int> d(std::vector<int>(64, 0));
  const std::string msg = error_of([&] { launch_kernel(divergent_barrier_kernel, 1, 64, 0, nullptr, d.ptr); });
  EXPECT_NE(msg.find("__syncthreads() reached by 48 of 64 threads (16 had exited"), std::string::npos) << msg;
  // The device stays usable.
  launch_kernel(reverse_kernel, 1, 256, 0, nullptr, DeviceArray<float>(std::vector<float>(256, 1.0f)).ptr);
}

TEST(CudaEmulator, WarpIntrinsicWithAMissingLaneIsAnError) {
  DeviceArray<int> d(std::vector<int>(32, 0));
  const std::string msg = error_of([&] { launch_kernel(missing_lane_kernel, 1, 32, 0, nullptr, d.ptr); });
  EXPECT_NE(msg.find("__shfl_sync with mask 0xffffffff in warp 0 cannot complete: lane 3 had exited"),
            std::string::npos)
      << msg;
}

TEST(CudaEmulator, OutOfBoundsWriteIsAnError) {
  DeviceArray<int> d(std::vector<int>(10, 0));
  const std::string msg = error_of([&] { launch_kernel(write_past_end_kernel, 1, 2, 0, nullptr, d.ptr, 10); });
  EXPECT_NE(msg.find("out-of-bounds write 0 bytes past the end of the 40-byte allocation"), std::string::npos) << msg;
  EXPECT_EQ(d.get(), std::vector<int>(10, 0));
}

TEST(CudaEmulator, HostPointerArgumentIsAnError) {
  std::vector<int> host(32, 0);
  const std::string msg = error_of([&] { launch_kernel(write_past_end_kernel, 1, 1, 0, nullptr, host.data(), 0); });
  EXPECT_NE(msg.find("pointer argument 0 of a kernel on cuda:0 points to host memory"), std::string::npos) << msg;
  EXPECT_EQ(host[0], 0);
}

TEST(CudaEmulator, BadConfigurationIsAnError) {
  DeviceArray<float> d(std::vector<float>(256, 0));
  EXPECT_NE(error_of([&] { launch_kernel(reverse_kernel, 1, 2048, 0, nullptr, d.ptr); }).find("invalid configuration"),
            std::string::npos);
  EXPECT_NE(error_of([&] { launch_kernel(reverse_kernel, 1, 256, 64 * 1024, nullptr, d.ptr); })
                .find("bytes of dynamic shared memory"),
            std::string::npos);
}

TEST(CudaEmulator, DevicesLookLikeH100s) {
  int n = 0;
  ASSERT_EQ(cudaGetDeviceCount(&n), cudaSuccess);
  EXPECT_GE(n, 1);
  cudaDeviceProp p;
  ASSERT_EQ(cudaGetDeviceProperties(&p, 0), cudaSuccess);
  EXPECT_EQ(p.multiProcessorCount, 132);
  EXPECT_EQ(p.maxThreadsPerBlock, 1024);
  EXPECT_EQ(p.warpSize, 32);
  EXPECT_EQ(p.sharedMemPerBlock, 48u * 1024);
  EXPECT_EQ(p.sharedMemPerMultiprocessor, 228u * 1024);
  EXPECT_NE(std::string(p.name).find("emulated"), std::string::npos);
}

}  // namespace
#endif  // PE_CUDA_EMULATE

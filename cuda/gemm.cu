// The tiled SIMT GEMM of Note [CUDA GEMM] (gemm.cuh) and the CUDA kernel of bmm_stub, which every
// matrix product of the op layer (mm, bmm, matmul, addmm, baddbmm, addbmm, mv, dot, ...) reaches.
#include <algorithm>
#include <type_traits>

#include "core/matmul_precision.h"
#include "cuda/device.h"
#include "cuda/gemm.cuh"
#include "cuda/launch.cuh"
#include "cuda/nn_kernels.h"

namespace pe::cuda {
namespace {

// Block tiles: BM x kBN outputs (BM = 64, or 16 for products with at most 16 rows, where a 64-row tile
// would leave most threads idle), bk-deep slices (32 for 4-byte types, 16 for 8-byte ones: two
// buffers of both tiles stay under 48 KB of static shared memory); each thread computes a kTM x kTN
// register block.
constexpr int kBN = 64, kTM = 4, kTN = 4;
constexpr int kPad = 4;  // shared rows of BM + 4: a column walk of 16 threads spreads over the banks
template <class T, int BM>
struct Tile {
  static constexpr int bk = sizeof(T) <= 4 ? 32 : 16;
  static constexpr int threads = (BM / kTM) * (kBN / kTN);
  static constexpr int loads_a = BM * bk / threads;   // elements of A one thread stages per slice
  static constexpr int loads_b = kBN * bk / threads;  // elements of B
  static_assert(loads_a * threads == BM * bk && loads_b * threads == kBN * bk, "tile shapes");
};

struct GemmParams {
  int64_t batch, m, n, k, sums, ktiles, mtiles;
  int64_t a_rs, a_cs, a_bs, a_ss, b_rs, b_cs, b_bs, b_ss, c_rs, c_cs, c_bs, bias_rs, bias_cs;
  bool a_k_unit;  // A's column (k) stride is 1: neighbouring threads load along k
  bool b_n_unit;  // B's column (n) stride is 1: neighbouring threads load along n
};

template <class T>
using acc_t = std::conditional_t<std::is_floating_point_v<T>, T, uint64_t>;

template <class T>
__device__ __forceinline__ acc_t<T> widen(T v) {
  if constexpr (std::is_floating_point_v<T>) return v;
  else return (uint64_t)(int64_t)v;
}

// Where element e of thread `tid` sits in a slice: (row, kk) of A's BM x bk slice, (kk, col) of B's
// bk x kBN one. Recomputed at the store (cheap, e is a constant) instead of kept in registers.
template <class T, int BM>
__device__ __forceinline__ void a_slot(const GemmParams& p, int tid, int e, int& row, int& kk) {
  constexpr int bk = Tile<T, BM>::bk;
  const int idx = tid + e * Tile<T, BM>::threads;
  row = p.a_k_unit ? idx / bk : idx % BM;
  kk = p.a_k_unit ? idx % bk : idx / BM;
}
template <class T, int BM>
__device__ __forceinline__ void b_slot(const GemmParams& p, int tid, int e, int& col, int& kk) {
  constexpr int bk = Tile<T, BM>::bk;
  const int idx = tid + e * Tile<T, BM>::threads;
  col = p.b_n_unit ? idx % kBN : idx / bk;
  kk = p.b_n_unit ? idx / kBN : idx % bk;
}

// Slice t (summed product t / ktiles, k offset (t % ktiles) * bk) of A's rows [row0, row0 + BM) into
// registers, zero outside the matrix.
template <class T, int BM, int L = Tile<T, BM>::loads_a>
__device__ __forceinline__ void load_a(const T* a, const GemmParams& p, int64_t row0, int64_t t, int tid, T (&r)[L]) {
  const int64_t s = t / p.ktiles, k0 = (t % p.ktiles) * Tile<T, BM>::bk;
  const T* base = a + s * p.a_ss;
#pragma unroll
  for (int e = 0; e < L; ++e) {
    int row, kk;
    a_slot<T, BM>(p, tid, e, row, kk);
    const int64_t gr = row0 + row, gk = k0 + kk;
    r[e] = (gr < p.m && gk < p.k) ? base[gr * p.a_rs + gk * p.a_cs] : T(0);
  }
}

template <class T, int BM, int L = Tile<T, BM>::loads_b>
__device__ __forceinline__ void load_b(const T* b, const GemmParams& p, int64_t col0, int64_t t, int tid, T (&r)[L]) {
  const int64_t s = t / p.ktiles, k0 = (t % p.ktiles) * Tile<T, BM>::bk;
  const T* base = b + s * p.b_ss;
#pragma unroll
  for (int e = 0; e < L; ++e) {
    int col, kk;
    b_slot<T, BM>(p, tid, e, col, kk);
    const int64_t gc = col0 + col, gk = k0 + kk;
    r[e] = (gc < p.n && gk < p.k) ? base[gk * p.b_rs + gc * p.b_cs] : T(0);
  }
}

// The staged registers into shared buffer `buf` of both tiles.
template <class T, int BM, class TA, class TB>
__device__ __forceinline__ void store_slices(TA* as, TB* bs, int buf, const GemmParams& p, int tid,
                                             const T (&ra)[Tile<T, BM>::loads_a],
                                             const T (&rb)[Tile<T, BM>::loads_b]) {
#pragma unroll
  for (int e = 0; e < Tile<T, BM>::loads_a; ++e) {
    int row, kk;
    a_slot<T, BM>(p, tid, e, row, kk);
    as[buf][kk][row] = ra[e];
  }
#pragma unroll
  for (int e = 0; e < Tile<T, BM>::loads_b; ++e) {
    int col, kk;
    b_slot<T, BM>(p, tid, e, col, kk);
    bs[buf][kk][col] = rb[e];
  }
}

template <class T, int BM>
__global__ void __launch_bounds__(Tile<T, BM>::threads) gemm_kernel(const T* a, const T* b, T* c, const T* bias, GemmParams p,
                                                        acc_t<T> alpha, acc_t<T> beta, bool beta0) {
  using Acc = acc_t<T>;
  __shared__ T as_tile[2][Tile<T, BM>::bk][BM + kPad];
  __shared__ T bs_tile[2][Tile<T, BM>::bk][kBN + kPad];
  // The tiles' addresses, taken once: the emulator's __shared__ is thread_local, whose every access
  // would otherwise be a TLS lookup (on a GPU this is the same shared-memory address).
  auto* as = as_tile;
  auto* bs = bs_tile;
  const int tid = threadIdx.x;
  const int tx = tid % (kBN / kTN), ty = tid / (kBN / kTN);
  const int64_t col0 = (int64_t)blockIdx.x * kBN;
  const int64_t nslices = p.sums * p.ktiles;
  // Grid-stride over row tiles and batch (grid y and z are capped at 65535); uniform per block.
  for (int64_t bz = blockIdx.z; bz < p.batch; bz += gridDim.z) {
    for (int64_t by = blockIdx.y; by < p.mtiles; by += gridDim.y) {
      const int64_t row0 = by * BM;
      const T* ab = a + bz * p.a_bs;
      const T* bb = b + bz * p.b_bs;
      Acc acc[kTM][kTN];
#pragma unroll
      for (int i = 0; i < kTM; ++i)
#pragma unroll
        for (int j = 0; j < kTN; ++j) acc[i][j] = Acc(0);
      constexpr int LA = Tile<T, BM>::loads_a, LB = Tile<T, BM>::loads_b;
      T ra[LA], rb[LB];
      if (nslices > 0) {
        load_a<T, BM>(ab, p, row0, 0, tid, ra);
        load_b<T, BM>(bb, p, col0, 0, tid, rb);
        store_slices<T, BM>(as, bs, 0, p, tid, ra, rb);
      }
      __syncthreads();
      for (int64_t t = 0; t < nslices; ++t) {
        const int cur = (int)(t & 1);
        const bool more = t + 1 < nslices;
        if (more) {  // the next slice travels while this one is multiplied
          load_a<T, BM>(ab, p, row0, t + 1, tid, ra);
          load_b<T, BM>(bb, p, col0, t + 1, tid, rb);
        }
#pragma unroll
        for (int kk = 0; kk < Tile<T, BM>::bk; ++kk) {
          Acc fa[kTM], fb[kTN];
#pragma unroll
          for (int i = 0; i < kTM; ++i) fa[i] = widen(as[cur][kk][ty * kTM + i]);
#pragma unroll
          for (int j = 0; j < kTN; ++j) fb[j] = widen(bs[cur][kk][tx * kTN + j]);
#pragma unroll
          for (int i = 0; i < kTM; ++i)
#pragma unroll
            for (int j = 0; j < kTN; ++j) acc[i][j] += fa[i] * fb[j];
        }
        if (more) store_slices<T, BM>(as, bs, cur ^ 1, p, tid, ra, rb);
        __syncthreads();
      }
      T* cb = c + bz * p.c_bs;
#pragma unroll
      for (int i = 0; i < kTM; ++i) {
        const int64_t row = row0 + ty * kTM + i;
        if (row >= p.m) continue;
#pragma unroll
        for (int j = 0; j < kTN; ++j) {
          const int64_t col = col0 + tx * kTN + j;
          if (col >= p.n) continue;
          T* dst = cb + row * p.c_rs + col * p.c_cs;
          Acc v = alpha * acc[i][j];
          if (!beta0) v += beta * widen(*dst);
          if (bias) v += widen(bias[row * p.bias_rs + col * p.bias_cs]);
          if constexpr (std::is_floating_point_v<T>) *dst = v;
          else *dst = (T)(int64_t)v;
        }
      }
    }
  }
}

template <class T, int BM>
void run_gemm(const GemmProblem& pr) {
  GemmParams p;
  p.batch = pr.batch, p.m = pr.m, p.n = pr.n, p.k = pr.k, p.sums = pr.sums;
  p.ktiles = (pr.k + Tile<T, BM>::bk - 1) / Tile<T, BM>::bk;
  p.mtiles = (pr.m + BM - 1) / BM;
  p.a_rs = pr.a.rs, p.a_cs = pr.a.cs, p.a_bs = pr.a.bs, p.a_ss = pr.a.ss;
  p.b_rs = pr.b.rs, p.b_cs = pr.b.cs, p.b_bs = pr.b.bs, p.b_ss = pr.b.ss;
  p.c_rs = pr.c_rs, p.c_cs = pr.c_cs, p.c_bs = pr.c_bs;
  p.bias_rs = pr.bias_rs, p.bias_cs = pr.bias_cs;
  // A single row or column has no meaningful stride in its size-1 dim: judge by the other one.
  p.a_k_unit = pr.m == 1 ? true : pr.k == 1 ? false : pr.a.cs == 1;
  p.b_n_unit = pr.k == 1 ? true : pr.n == 1 ? false : pr.b.cs == 1;
  const bool beta0 = pr.beta.to_double() == 0.0 && (!pr.beta.is_integral() || pr.beta.to_int64() == 0);
  acc_t<T> alpha, beta;
  if constexpr (std::is_floating_point_v<T>) {
    alpha = pr.alpha.to<T>(), beta = pr.beta.to<T>();
  } else {
    alpha = (uint64_t)pr.alpha.to_int64(), beta = (uint64_t)pr.beta.to_int64();
  }
  const dim3 grid((unsigned)((pr.n + kBN - 1) / kBN), (unsigned)std::min<int64_t>(p.mtiles, 65535),
                  (unsigned)std::min<int64_t>(pr.batch, 65535));
  launch_kernel(gemm_kernel<T, BM>, grid, dim3(Tile<T, BM>::threads), 0, current_stream(), static_cast<const T*>(pr.a.data),
                static_cast<const T*>(pr.b.data), static_cast<T*>(pr.c), static_cast<const T*>(pr.bias), p, alpha,
                beta, beta0);
}

}  // namespace

void bmm_kernel(const Tensor& out, const Tensor& a, const Tensor& b, const Scalar& alpha, const Scalar& beta) {
  GemmProblem p;
  p.dtype = out.dtype();
  p.batch = out.size(0), p.m = out.size(1), p.n = out.size(2), p.k = a.size(2);
  p.a = {a.raw_data(), a.stride(1), a.stride(2), a.stride(0), 0};
  p.b = {b.raw_data(), b.stride(1), b.stride(2), b.stride(0), 0};
  p.c = out.raw_data();
  p.c_rs = out.stride(1), p.c_cs = out.stride(2), p.c_bs = out.stride(0);
  p.alpha = alpha, p.beta = beta;
  p.tf32 = p.dtype == DType::Float32 && matmul_allow_tf32();
  if (p.k == 0) p.a.data = p.b.data = nullptr;  // nothing is read (an empty operand has no memory to check)
  DeviceGuard guard(out.device().index);
  gemm(p);
}

void gemm(const GemmProblem& p) {
  if (p.batch == 0 || p.m == 0 || p.n == 0) return;
  if (p.dtype == DType::Float16 || p.dtype == DType::BFloat16 || (p.dtype == DType::Float32 && p.tf32))
    return gemm_tensor_core(p);  // Note [CUDA tensor-core GEMM]
  const bool skinny = p.m <= 16;  // the 16-row tile for the floats (integer products are rare: one tile)
  switch (p.dtype) {
    case DType::Float32: return skinny ? run_gemm<float, 16>(p) : run_gemm<float, 64>(p);
    case DType::Float64: return skinny ? run_gemm<double, 16>(p) : run_gemm<double, 64>(p);
    case DType::UInt8: return run_gemm<uint8_t, 64>(p);
    case DType::Int8: return run_gemm<int8_t, 64>(p);
    case DType::Int16: return run_gemm<int16_t, 64>(p);
    case DType::Int32: return run_gemm<int32_t, 64>(p);
    case DType::Int64: return run_gemm<int64_t, 64>(p);
    default:
      PE_ERROR("CUDA gemm: unsupported dtype ", dtype_name(p.dtype), " (the op layer converts it first)");
  }
}

}  // namespace pe::cuda

// The generic elementwise launcher, the CUDA twin of cpu/loop.h's cpu_kernel: out = f(in...) over a
// TensorIter with 1 to 3 inputs (operand 0 the output), any dtypes, f one of the PE_HOST_DEVICE
// functors of ops/elementwise_functors.h that the CPU kernels use, so both devices compute each
// element with the same code. Captured scalars travel inside f, by value.
//
// Note [Elementwise launch paths]
// - every operand dense (TensorIter::is_contiguous): plain indexing; when every pointer is aligned to
//   a vector of V elements (16 bytes of the widest operand) each thread moves whole vectors, so the
//   widest operand is read and written with 16-byte accesses;
// - strided, with the whole index space and every byte offset below 2^31: 32-bit index math, where a
//   division by a dim's size is a multiply-high and a shift (IntDivider), not a 64-bit division;
// - otherwise the 64-bit OffsetCalc of loop.cuh.
// Kernels run on the device of operand 0 (the op layer guarantees one device for all operands).
#pragma once
#include <cstdint>
#include <type_traits>
#include <utility>

#include "cuda/launch.cuh"
#include "cuda/loop.cuh"

namespace pe::cuda {

PE_HOST_DEVICE inline uint32_t mulhi32(uint32_t a, uint32_t b) {
#if defined(__CUDA_ARCH__)
  return __umulhi(a, b);
#else
  return (uint32_t)(((uint64_t)a * b) >> 32);
#endif
}

// n / d for n < 2^31 as (mulhi(n, m) + n) >> s, the round-up method of Granlund and Montgomery.
struct IntDivider {
  uint32_t divisor = 1, magic = 1, shift = 0;
  IntDivider() = default;
  explicit IntDivider(uint32_t d) : divisor(d) {
    while (shift < 32 && (uint64_t(1) << shift) < d) ++shift;
    magic = (uint32_t)(((uint64_t(1) << 32) * ((uint64_t(1) << shift) - d)) / d + 1);
  }
  PE_HOST_DEVICE uint32_t div(uint32_t n) const { return (mulhi32(n, magic) + n) >> shift; }
};

template <int N>
struct OffsetCalc32 {
  int ndim = 0;
  IntDivider sizes[kMaxDims];
  uint32_t strides[kMaxDims][N] = {};  // bytes
  PE_HOST_DEVICE void get(uint32_t i, uint32_t (&off)[N]) const {
#pragma unroll
    for (int k = 0; k < N; ++k) off[k] = 0;
    for (int d = 0; d < ndim; ++d) {
      const uint32_t q = sizes[d].div(i);
      const uint32_t idx = i - q * sizes[d].divisor;
      i = q;
#pragma unroll
      for (int k = 0; k < N; ++k) off[k] += idx * strides[d][k];
    }
  }
};

template <int N>
struct Operands {
  char* p[N];
};

template <class T, int V>
struct alignas(sizeof(T) * V) Vec {
  T v[V];
};

template <class Out, class... In, class F, class Off, size_t... I>
PE_HOST_DEVICE PE_ALWAYS_INLINE void apply_at(const Operands<1 + sizeof...(In)>& ops, const Off* off, const F& f,
                                              std::index_sequence<I...>) {
  *reinterpret_cast<Out*>(ops.p[0] + off[0]) = f(*reinterpret_cast<const In*>(ops.p[I + 1] + off[I + 1])...);
}

template <class F, class Out, class... In>
__global__ void elementwise_dense_kernel(Operands<1 + sizeof...(In)> ops, int64_t n, F f) {
  for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < n; i += (int64_t)gridDim.x * blockDim.x) {
    int64_t off[1 + sizeof...(In)] = {(int64_t)(i * sizeof(Out)), (int64_t)(i * sizeof(In))...};
    apply_at<Out, In...>(ops, off, f, std::index_sequence_for<In...>());
  }
}

template <int V, class Out, class F, class... In>
PE_HOST_DEVICE PE_ALWAYS_INLINE void apply_vec(Vec<Out, V>& out, const F& f, const Vec<In, V>&... in) {
#pragma unroll
  for (int k = 0; k < V; ++k) out.v[k] = f(in.v[k]...);
}

template <int V, class Out, class... In, class F, size_t... I>
PE_HOST_DEVICE PE_ALWAYS_INLINE void load_apply_store(const Operands<1 + sizeof...(In)>& ops, uint32_t j, const F& f,
                                                      std::index_sequence<I...>) {
  Vec<Out, V> out;
  apply_vec<V, Out>(out, f, reinterpret_cast<const Vec<In, V>*>(ops.p[I + 1])[j]...);
  reinterpret_cast<Vec<Out, V>*>(ops.p[0])[j] = out;
}

// Whole vectors of V elements per step; the n % V tail elements by the first threads of the grid.
template <int V, class F, class Out, class... In>
__global__ void elementwise_vector_kernel(Operands<1 + sizeof...(In)> ops, uint32_t nvec, uint32_t tail, F f) {
  const uint32_t stride = gridDim.x * blockDim.x;
  const uint32_t tid = blockIdx.x * blockDim.x + threadIdx.x;
  for (uint32_t j = tid; j < nvec; j += stride)
    load_apply_store<V, Out, In...>(ops, j, f, std::index_sequence_for<In...>());
  if (tid < tail) {
    const uint32_t i = nvec * V + tid;
    uint32_t off[1 + sizeof...(In)] = {(uint32_t)(i * sizeof(Out)), (uint32_t)(i * sizeof(In))...};
    apply_at<Out, In...>(ops, off, f, std::index_sequence_for<In...>());
  }
}

template <class Calc, class Index, class F, class Out, class... In>
__global__ void elementwise_strided_kernel(Operands<1 + sizeof...(In)> ops, Calc calc, Index n, F f) {
  for (Index i = blockIdx.x * (Index)blockDim.x + threadIdx.x; i < n; i += (Index)gridDim.x * blockDim.x) {
    Index off[1 + sizeof...(In)];
    calc.get(i, off);
    apply_at<Out, In...>(ops, off, f, std::index_sequence_for<In...>());
  }
}

template <class T, class... Ts>
constexpr size_t max_size() {
  if constexpr (sizeof...(Ts) == 0) return sizeof(T);
  else return sizeof(T) > max_size<Ts...>() ? sizeof(T) : max_size<Ts...>();
}

// Whether every operand's byte offsets (and the index space) fit in 31 bits.
inline bool fits_32bit(const TensorIter& iter) {
  if (iter.numel() > INT32_MAX) return false;
  for (int k = 0; k < iter.ntensors(); ++k) {
    int64_t last = 0;
    for (int d = 0; d < (int)iter.ndim(); ++d) last += (iter.shape()[d] - 1) * iter.stride(d, k);
    if (last < 0 || last + 16 > INT32_MAX) return false;
  }
  return true;
}

template <int N>
OffsetCalc32<N> make_offset_calc32(const TensorIter& iter) {
  OffsetCalc32<N> c;
  c.ndim = (int)iter.ndim();
  for (int d = 0; d < c.ndim; ++d) {
    c.sizes[d] = IntDivider((uint32_t)iter.shape()[d]);
    for (int k = 0; k < N; ++k) c.strides[d][k] = (uint32_t)iter.stride(d, k);
  }
  return c;
}

// out = f(in...) over iter (Note [Elementwise launch paths]). Out and In... are the operands' C++
// types, which the caller has dispatched on; f is a PE_HOST_DEVICE functor.
template <class Out, class... In, class F>
void launch_elementwise(const TensorIter& iter, const F& f) {
  constexpr int N = 1 + sizeof...(In);
  static_assert(sizeof...(In) >= 1 && sizeof...(In) <= 3, "1 to 3 inputs");
  PE_CHECK(iter.ntensors() == N, "elementwise: expected ", N, " operands, got ", iter.ntensors());
  const int64_t n = iter.numel();
  if (n == 0) return;
  DeviceGuard guard(iter_device(iter));
  Operands<N> ops;
  for (int k = 0; k < N; ++k) ops.p[k] = iter.data(k);
  if (iter.is_contiguous()) {
    constexpr int V = (int)(16 / max_size<Out, In...>()) > 0 ? (int)(16 / max_size<Out, In...>()) : 1;
    bool aligned = n <= INT32_MAX;
    for (int k = 0; k < N; ++k) aligned = aligned && reinterpret_cast<uintptr_t>(ops.p[k]) % 16 == 0;
    if (V > 1 && aligned) {
      const uint32_t nvec = (uint32_t)(n / V), tail = (uint32_t)(n % V);
      launch_kernel(elementwise_vector_kernel<V, F, Out, In...>, grid_size(nvec > tail ? nvec : tail), kBlockSize,
                    0, current_stream(), ops, nvec, tail, f);
    } else {
      launch_kernel(elementwise_dense_kernel<F, Out, In...>, grid_size(n), kBlockSize, 0, current_stream(), ops, n, f);
    }
  } else if (fits_32bit(iter)) {
    launch_kernel(elementwise_strided_kernel<OffsetCalc32<N>, uint32_t, F, Out, In...>, grid_size(n), kBlockSize,
                  0, current_stream(), ops, make_offset_calc32<N>(iter), (uint32_t)n, f);
  } else {
    launch_kernel(elementwise_strided_kernel<OffsetCalc<N>, int64_t, F, Out, In...>, grid_size(n), kBlockSize, 0,
                  current_stream(), ops, make_offset_calc<N>(iter), n, f);
  }
}

}  // namespace pe::cuda

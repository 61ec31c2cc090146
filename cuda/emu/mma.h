// The emulator's stand-in for <mma.h>: nvcuda::wmma, the warp matrix (tensor core) API, for the
// shapes and types cuda/ uses (docs/cuda-emulator.md, Note [Emulated WMMA]).
//
// Note [Emulated WMMA]
// A GPU spreads a fragment over the 32 lanes of a warp in an unspecified layout; kernels may only
// load, store, fill, multiply and apply the same elementwise operation to every element (the real
// API's contract). Here every lane holds the whole tile (x[] has rows * cols elements), loads it
// whole, and owns the elements e with e % 32 == lane: mma_sync computes and store_matrix_sync writes
// only those, so the warp does the GPU's work once (not 32 times) and the stored tile is complete
// only when all 32 lanes took part, as on a GPU. Each operation is a warp meeting point
// (__syncwarp): a lane that skips one fails the launch. mma_sync multiplies the 16-bit (or TF32)
// inputs exactly in float and accumulates in float in k order, one rounding per step; a tensor core
// adds in another order and with its own internal precision, which the tests' tolerances cover.
// __float_to_tf32 rounds to TF32 (10 explicit mantissa bits) to nearest, ties away from zero, as
// cvt.rna.tf32.f32.
#pragma once
#include <cmath>
#include <cstdint>
#include <cstring>
#include <type_traits>

#include "cuda_runtime.h"
#include "cuda_bf16.h"
#include "cuda_fp16.h"

namespace nvcuda::wmma {

struct matrix_a {};
struct matrix_b {};
struct accumulator {};
struct row_major {};
struct col_major {};
enum layout_t { mem_row_major, mem_col_major };
namespace precision {
struct tf32 {};
}  // namespace precision

namespace detail {

template <class Use, int M, int N, int K>
struct Dims;
template <int M, int N, int K>
struct Dims<matrix_a, M, N, K> {
  static constexpr int rows = M, cols = K;
};
template <int M, int N, int K>
struct Dims<matrix_b, M, N, K> {
  static constexpr int rows = K, cols = N;
};
template <int M, int N, int K>
struct Dims<accumulator, M, N, K> {
  static constexpr int rows = M, cols = N;
};

// The element type a fragment stores (TF32 fragments hold floats, as the real API's).
template <class T>
struct Storage {
  using type = T;
};
template <>
struct Storage<precision::tf32> {
  using type = float;
};

template <class L>
constexpr bool is_row_major() {
  return std::is_same_v<L, row_major>;
}

inline int lane_id() {
  const unsigned lin = threadIdx.x + threadIdx.y * blockDim.x + threadIdx.z * blockDim.x * blockDim.y;
  return (int)(lin % 32u);
}

}  // namespace detail

template <class Use, int M, int N, int K, class T, class Layout = void>
class fragment {
 public:
  using element_type = typename detail::Storage<T>::type;
  static constexpr int rows = detail::Dims<Use, M, N, K>::rows, cols = detail::Dims<Use, M, N, K>::cols;
  static constexpr int num_elements = rows * cols;
  element_type x[num_elements];
};

inline float __float_to_tf32(float f) {
  if (!std::isfinite(f)) return f;
  uint32_t u;
  std::memcpy(&u, &f, 4);
  u = (u + 0x1000u) & ~0x1FFFu;  // the magnitude's 13 low bits rounded half away from zero
  std::memcpy(&f, &u, 4);
  return f;
}

template <class Use, int M, int N, int K, class T, class L>
inline void fill_fragment(fragment<Use, M, N, K, T, L>& f,
                          const typename fragment<Use, M, N, K, T, L>::element_type& v) {
  __syncwarp();
  for (int e = 0; e < f.num_elements; ++e) f.x[e] = v;
}

// matrix_a / matrix_b: the layout is the fragment's.
template <class Use, int M, int N, int K, class T, class L, class P>
inline void load_matrix_sync(fragment<Use, M, N, K, T, L>& f, const P* p, unsigned ldm) {
  static_assert(!std::is_same_v<Use, accumulator>, "an accumulator load names its layout");
  __syncwarp();
  using F = fragment<Use, M, N, K, T, L>;
  for (int r = 0; r < F::rows; ++r)
    for (int c = 0; c < F::cols; ++c)
      f.x[r * F::cols + c] = detail::is_row_major<L>() ? p[(size_t)r * ldm + c] : p[(size_t)c * ldm + r];
}

template <int M, int N, int K, class T>
inline void load_matrix_sync(fragment<accumulator, M, N, K, T>& f, const T* p, unsigned ldm, layout_t layout) {
  __syncwarp();
  for (int r = 0; r < M; ++r)
    for (int c = 0; c < N; ++c)
      f.x[r * N + c] = layout == mem_row_major ? p[(size_t)r * ldm + c] : p[(size_t)c * ldm + r];
}

template <int M, int N, int K, class T>
inline void store_matrix_sync(T* p, const fragment<accumulator, M, N, K, T>& f, unsigned ldm, layout_t layout) {
  __syncwarp();
  for (int e = detail::lane_id(); e < M * N; e += 32) {
    const int r = e / N, c = e % N;
    (layout == mem_row_major ? p[(size_t)r * ldm + c] : p[(size_t)c * ldm + r]) = f.x[e];
  }
  __syncwarp();  // the tile is complete once every lane has written its part
}

template <int M, int N, int K, class TA, class LA, class TB, class LB, class TC>
inline void mma_sync(fragment<accumulator, M, N, K, TC>& d, const fragment<matrix_a, M, N, K, TA, LA>& a,
                     const fragment<matrix_b, M, N, K, TB, LB>& b, const fragment<accumulator, M, N, K, TC>& c) {
  __syncwarp();
  for (int e = detail::lane_id(); e < M * N; e += 32) {
    const int i = e / N, j = e % N;
    float acc = (float)c.x[e];
    for (int k = 0; k < K; ++k) acc += (float)a.x[i * K + k] * (float)b.x[k * N + j];
    d.x[e] = acc;
  }
}

}  // namespace nvcuda::wmma

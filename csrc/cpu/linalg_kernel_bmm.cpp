// The CPU kernel of every matrix product (bmm_stub): float32/64 through our GEMM on the tensors'
// own strides, integer types through a plain loop (PyTorch supports integer mm on the CPU; the sums
// wrap around like its integer arithmetic). Small matrices in a batch run one per thread; large ones
// run one after another with the GEMM's own threads.
#include <type_traits>

#include "core/dispatch.h"
#include "cpu/gemm.h"
#include "cpu/parallel.h"
#include "ops/linalg_stubs.h"

namespace pe::cpu {
namespace {

struct Geometry {
  int64_t batch, m, n, k;
  int64_t a_bs, a_rs, a_cs, b_bs, b_rs, b_cs, c_bs, c_rs, c_cs;  // element strides
};

Geometry geometry(const Tensor& out, const Tensor& a, const Tensor& b) {
  return {out.size(0),  out.size(1),  out.size(2),  a.size(2),   a.stride(0),   a.stride(1),  a.stride(2),
          b.stride(0),  b.stride(1),  b.stride(2),  out.stride(0), out.stride(1), out.stride(2)};
}

// C = alpha * A B + beta * C for integers, in unsigned 64-bit arithmetic (wraps like the integer
// types themselves, without signed-overflow UB), i-p-j order so the inner loop runs along rows.
template <class T>
void int_matmul(const Geometry& g, const T* a, const T* b, T* c, uint64_t alpha, uint64_t beta, bool beta0) {
  std::vector<uint64_t> acc(g.n);
  for (int64_t i = 0; i < g.m; ++i) {
    std::fill(acc.begin(), acc.end(), 0);
    for (int64_t p = 0; p < g.k; ++p) {
      const uint64_t av = (uint64_t)(int64_t)a[i * g.a_rs + p * g.a_cs];
      const T* brow = b + p * g.b_rs;
      for (int64_t j = 0; j < g.n; ++j) acc[j] += av * (uint64_t)(int64_t)brow[j * g.b_cs];
    }
    for (int64_t j = 0; j < g.n; ++j) {
      T* cij = c + i * g.c_rs + j * g.c_cs;
      uint64_t r = alpha * acc[j];
      if (!beta0) r += beta * (uint64_t)(int64_t)*cij;
      *cij = (T)(int64_t)r;
    }
  }
}

template <class T>
void run_batches(const Geometry& g, const T* a, const T* b, T* c, const Scalar& alpha_s, const Scalar& beta_s) {
  const bool beta0 = beta_s.to_double() == 0.0;
  auto one = [&](int64_t i) {
    const T* ai = a + i * g.a_bs;
    const T* bi = b + i * g.b_bs;
    T* ci = c + i * g.c_bs;
    if constexpr (std::is_floating_point_v<T>) {
      gemm_strided<T>(g.m, g.n, g.k, alpha_s.to<T>(), ai, g.a_rs, g.a_cs, bi, g.b_rs, g.b_cs,
                      beta0 ? T(0) : beta_s.to<T>(), ci, g.c_rs, g.c_cs);
    } else {
      int_matmul<T>(g, ai, bi, ci, (uint64_t)alpha_s.to_int64(), (uint64_t)beta_s.to_int64(), beta0);
    }
  };
  const int64_t work = g.m * g.n * std::max<int64_t>(g.k, 1);
  // Matrices below ~64^3 multiply-adds gain nothing from the GEMM's threads: spread the batch.
  if (g.batch > 1 && work < int64_t(1) << 18) {
    const int64_t grain = std::max<int64_t>(1, (int64_t(1) << 16) / std::max<int64_t>(work, 1));
    parallel_for(0, g.batch, grain, [&](int64_t lo, int64_t hi) {
      for (int64_t i = lo; i < hi; ++i) one(i);
    });
  } else {
    for (int64_t i = 0; i < g.batch; ++i) one(i);
  }
}

void bmm_kernel(const Tensor& out, const Tensor& a, const Tensor& b, const Scalar& alpha, const Scalar& beta) {
  const Geometry g = geometry(out, a, b);
  switch (out.dtype()) {
    case DType::Float32:
      return run_batches<float>(g, a.data_ptr<float>(), b.data_ptr<float>(), out.data_ptr<float>(), alpha, beta);
    case DType::Float64:
      return run_batches<double>(g, a.data_ptr<double>(), b.data_ptr<double>(), out.data_ptr<double>(), alpha, beta);
    case DType::UInt8:
      return run_batches<uint8_t>(g, a.data_ptr<uint8_t>(), b.data_ptr<uint8_t>(), out.data_ptr<uint8_t>(), alpha,
                                  beta);
    case DType::Int8:
      return run_batches<int8_t>(g, a.data_ptr<int8_t>(), b.data_ptr<int8_t>(), out.data_ptr<int8_t>(), alpha, beta);
    case DType::Int16:
      return run_batches<int16_t>(g, a.data_ptr<int16_t>(), b.data_ptr<int16_t>(), out.data_ptr<int16_t>(), alpha,
                                  beta);
    case DType::Int32:
      return run_batches<int32_t>(g, a.data_ptr<int32_t>(), b.data_ptr<int32_t>(), out.data_ptr<int32_t>(), alpha,
                                  beta);
    case DType::Int64:
      return run_batches<int64_t>(g, a.data_ptr<int64_t>(), b.data_ptr<int64_t>(), out.data_ptr<int64_t>(), alpha,
                                  beta);
    default:
      PE_ERROR("bmm kernel: unsupported dtype ", dtype_name(out.dtype()), " (the op layer converts it first)");
  }
}

PE_REGISTER_KERNEL(bmm_stub, CPU, &bmm_kernel);

}  // namespace
}  // namespace pe::cpu

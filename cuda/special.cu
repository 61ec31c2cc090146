// CUDA kernels of torch.special and its torch.* aliases (special_unary_stub, special_binary_stub,
// frexp_stub): the functors of ops/special_functors.h through the elementwise launcher, so each element is
// computed by the code the CPU kernels (csrc/cpu/special_*_kernel.cpp) run.
#include "cuda/elementwise.cuh"
#include "cuda/kernels.h"
#include "ops/special_functors.h"

namespace pe::cuda {
namespace {

template <class T, SpecialUnaryOp Op>
void run_unary(const TensorIter& iter, int64_t n) {
  SpecialUnaryFunctor<T, Op> f;
  f.n = n;
  launch_elementwise<T, T>(iter, f);
}

template <class T>
void unary_op(const TensorIter& iter, SpecialUnaryOp op, int64_t n) {
  switch (op) {
#define PE_CASE(Name, name, expr) \
  case SpecialUnaryOp::Name: return run_unary<T, SpecialUnaryOp::Name>(iter, n);
    PE_FORALL_SPECIAL_UNARY_OPS(PE_CASE)
#undef PE_CASE
    case SpecialUnaryOp::Polygamma: return run_unary<T, SpecialUnaryOp::Polygamma>(iter, n);
  }
  PE_ERROR("special_unary: unknown op ", (int)op);
}

template <class T, SpecialBinaryOp Op>
void run_binary(const TensorIter& iter) {
  using F = SpecialBinaryFunctor<T, Op>;
  if constexpr (F::supported) launch_elementwise<T, T, T>(iter, F());
  else PE_ERROR("special_binary: op ", (int)Op, " not supported for ", dtype_name(iter.dtype(0)));
}

template <class T>
void binary_op(const TensorIter& iter, SpecialBinaryOp op) {
  switch (op) {
#define PE_CASE(Name, name, expr) \
  case SpecialBinaryOp::Name: return run_binary<T, SpecialBinaryOp::Name>(iter);
    PE_FORALL_SPECIAL_BINARY_OPS(PE_CASE)
#undef PE_CASE
    case SpecialBinaryOp::Nextafter: return run_binary<T, SpecialBinaryOp::Nextafter>(iter);
    case SpecialBinaryOp::Gcd: return run_binary<T, SpecialBinaryOp::Gcd>(iter);
    case SpecialBinaryOp::Lcm: return run_binary<T, SpecialBinaryOp::Lcm>(iter);
  }
  PE_ERROR("special_binary: unknown op ", (int)op);
}

}  // namespace

void special_unary_kernel(const TensorIter& iter, SpecialUnaryOp op, int64_t n) {
  PE_DISPATCH_FLOATING_TYPES(iter.dtype(0), "special_unary", [&] { unary_op<scalar_t>(iter, op, n); });
}

void special_binary_kernel(const TensorIter& iter, SpecialBinaryOp op) {
  PE_DISPATCH_ALL_TYPES(iter.dtype(0), "special_binary", [&] { binary_op<scalar_t>(iter, op); });
}

void frexp_kernel(const TensorIter& iter, bool exponent) {
  PE_DISPATCH_FLOATING_TYPES(iter.dtype(1), "frexp", [&] {
    if (exponent) launch_elementwise<int32_t, scalar_t>(iter, FrexpExponentFunctor<scalar_t>());
    else launch_elementwise<scalar_t, scalar_t>(iter, FrexpMantissaFunctor<scalar_t>());
  });
}

}  // namespace pe::cuda

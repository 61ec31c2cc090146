// CUDA kernels of the unary floating-point ops (unary_float_stub), round(decimals) and nan_to_num:
// the functors of ops/elementwise_functors.h through the elementwise launcher, so each element is
// computed by the code the CPU kernel runs (the CPU's float32 exp/sigmoid loops use a polynomial
// exp; here it is the device's expf, equal to a few ulps).
#include "cuda/elementwise.cuh"
#include "cuda/kernels.h"
#include "ops/elementwise_functors.h"

namespace pe::cuda {
namespace {

template <class T>
void run_op(const TensorIter& iter, UnaryFloatOp op) {
  switch (op) {
#define PE_CASE(Name, name, expr) \
  case UnaryFloatOp::Name:        \
    return launch_elementwise<T, T>(iter, Name##Functor<T>());
    PE_FORALL_UNARY_FLOAT_OPS(PE_CASE)
    PE_FORALL_ROUNDING_OPS(PE_CASE)
#undef PE_CASE
  }
  PE_ERROR("unary_float: unknown op ", (int)op);
}

}  // namespace

void unary_float_kernel(const TensorIter& iter, UnaryFloatOp op) {
  PE_DISPATCH_FLOATING_TYPES(iter.dtype(0), "unary_float", [&] { run_op<scalar_t>(iter, op); });
}

void round_decimals_kernel(const TensorIter& iter, int64_t decimals) {
  PE_DISPATCH_FLOATING_TYPES(iter.dtype(0), "round", [&] {
    using M = opmath_t<scalar_t>;
    const bool negative = decimals < 0;
    const M scale = static_cast<M>(std::pow(10.0, (double)(negative ? -decimals : decimals)));  // as the CPU
    launch_elementwise<scalar_t, scalar_t>(iter, RoundDecimalsFunctor<scalar_t>{scale, negative});
  });
}

void nan_to_num_kernel(const TensorIter& iter, double nan, double posinf, double neginf) {
  PE_DISPATCH_FLOATING_TYPES(iter.dtype(0), "nan_to_num", [&] {
    using M = opmath_t<scalar_t>;
    launch_elementwise<scalar_t, scalar_t>(iter, NanToNumFunctor<scalar_t>{(M)nan, (M)posinf, (M)neginf});
  });
}

}  // namespace pe::cuda

// CUDA kernels of the dtype-keeping unary ops (neg, abs, sign, relu, bitwise_not: unary_misc_stub) and the
// predicates (isnan, isinf, isfinite, logical_not: predicate_stub, bool out), with the CPU's functors.
#include "cuda/elementwise.cuh"
#include "cuda/kernels.h"
#include "ops/elementwise_functors.h"

namespace pe::cuda {
namespace {

template <class T, UnaryMiscOp Op>
void run_misc(const TensorIter& iter) {
  using F = UnaryMiscFunctor<T, Op>;
  if constexpr (F::supported) launch_elementwise<T, T>(iter, F());
  else PE_ERROR("unary_misc: op ", (int)Op, " not supported for ", dtype_name(iter.dtype(0)));
}

}  // namespace

void unary_misc_kernel(const TensorIter& iter, UnaryMiscOp op) {
  PE_DISPATCH_ALL_TYPES(iter.dtype(0), "unary_misc", [&] {
    switch (op) {
      case UnaryMiscOp::Neg: return run_misc<scalar_t, UnaryMiscOp::Neg>(iter);
      case UnaryMiscOp::Abs: return run_misc<scalar_t, UnaryMiscOp::Abs>(iter);
      case UnaryMiscOp::Sign: return run_misc<scalar_t, UnaryMiscOp::Sign>(iter);
      case UnaryMiscOp::Relu: return run_misc<scalar_t, UnaryMiscOp::Relu>(iter);
      case UnaryMiscOp::BitwiseNot: return run_misc<scalar_t, UnaryMiscOp::BitwiseNot>(iter);
    }
    PE_ERROR("unary_misc: unknown op ", (int)op);
  });
}

// operands: (bool out, T a)
void predicate_kernel(const TensorIter& iter, PredicateOp op) {
  PE_DISPATCH_ALL_TYPES(iter.dtype(1), "predicate", [&] {
    switch (op) {
      case PredicateOp::IsNan: return launch_elementwise<bool, scalar_t>(iter, PredicateFunctor<scalar_t, PredicateOp::IsNan>());
      case PredicateOp::IsInf: return launch_elementwise<bool, scalar_t>(iter, PredicateFunctor<scalar_t, PredicateOp::IsInf>());
      case PredicateOp::IsFinite:
        return launch_elementwise<bool, scalar_t>(iter, PredicateFunctor<scalar_t, PredicateOp::IsFinite>());
      case PredicateOp::LogicalNot:
        return launch_elementwise<bool, scalar_t>(iter, PredicateFunctor<scalar_t, PredicateOp::LogicalNot>());
    }
    PE_ERROR("predicate: unknown op ", (int)op);
  });
}

}  // namespace pe::cuda

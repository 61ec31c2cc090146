// CPU kernels of the dtype-keeping unary ops (neg, abs, sign, relu, bitwise_not), the predicates (isnan,
// isinf, isfinite, logical_not -> bool), round(decimals) and nan_to_num.
#include <cmath>

#include "cpu/complex_math.h"
#include "cpu/loop.h"
#include "ops/elementwise_functors.h"

namespace pe::cpu {
namespace {

template <class T, UnaryMiscOp Op>
void run_misc(const TensorIter& iter) {
  using F = UnaryMiscFunctor<T, Op>;
  if constexpr (F::supported) cpu_kernel(iter, [](T a) -> T { return F()(a); });
  else PE_ERROR("unary_misc: op ", (int)Op, " not supported for ", dtype_name(iter.dtype(0)));
}

void unary_misc_kernel(const TensorIter& iter, UnaryMiscOp op) {
  if (is_complex(iter.dtype(0))) return complex_unary_misc(iter, op);
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

template <class T, PredicateOp Op>
void run_predicate(const TensorIter& iter) {
  cpu_kernel(iter, [](T a) -> bool { return PredicateFunctor<T, Op>()(a); });
}

// operands: (bool out, T in)
void predicate_kernel(const TensorIter& iter, PredicateOp op) {
  if (is_complex(iter.dtype(1))) return complex_predicate(iter, op);
  PE_DISPATCH_ALL_TYPES(iter.dtype(1), "predicate", [&] {
    switch (op) {
      case PredicateOp::IsNan: return run_predicate<scalar_t, PredicateOp::IsNan>(iter);
      case PredicateOp::IsInf: return run_predicate<scalar_t, PredicateOp::IsInf>(iter);
      case PredicateOp::IsFinite: return run_predicate<scalar_t, PredicateOp::IsFinite>(iter);
      case PredicateOp::LogicalNot: return run_predicate<scalar_t, PredicateOp::LogicalNot>(iter);
    }
    PE_ERROR("predicate: unknown op ", (int)op);
  });
}

void round_decimals_kernel(const TensorIter& iter, int64_t decimals) {
  PE_DISPATCH_FLOATING_TYPES(iter.dtype(0), "round", [&] {
    using M = opmath_t<scalar_t>;
    bool negative = decimals < 0;
    M scale = static_cast<M>(std::pow(10.0, (double)(negative ? -decimals : decimals)));  // as PyTorch
    RoundDecimalsFunctor<scalar_t> f{scale, negative};
    cpu_kernel(iter, [f](scalar_t a) -> scalar_t { return f(a); });
  });
}

void nan_to_num_kernel(const TensorIter& iter, double nan, double posinf, double neginf) {
  PE_DISPATCH_FLOATING_TYPES(iter.dtype(0), "nan_to_num", [&] {
    using M = opmath_t<scalar_t>;
    NanToNumFunctor<scalar_t> f{static_cast<M>(nan), static_cast<M>(posinf), static_cast<M>(neginf)};
    cpu_kernel(iter, [f](scalar_t a) -> scalar_t { return f(a); });
  });
}

PE_REGISTER_KERNEL(unary_misc_stub, CPU, &unary_misc_kernel);
PE_REGISTER_KERNEL(predicate_stub, CPU, &predicate_kernel);
PE_REGISTER_KERNEL(round_decimals_stub, CPU, &round_decimals_kernel);
PE_REGISTER_KERNEL(nan_to_num_stub, CPU, &nan_to_num_kernel);

}  // namespace
}  // namespace pe::cpu

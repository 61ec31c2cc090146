// Complex elementwise kernels (complex_math.h). std::complex's functions are the C library's
// (csqrt, cexp, clog, ... with their branch cuts and special values), which is what PyTorch's CPU
// kernels compute too (c10::complex forwards to std::complex).
#include <cmath>
#include <complex>

#include "cpu/complex_math.h"
#include "cpu/loop.h"

namespace pe::cpu {

namespace {
[[noreturn]] void no_complex(const char* name, DType t) {
  throw NotImplementedError(str("\"", name, "\" not implemented for '", scalar_type_name(t), "'"));
}
}  // namespace

void complex_binary_math(const TensorIter& iter, BinaryMathOp op) {
  PE_DISPATCH_COMPLEX_TYPES(iter.dtype(0), "binary_math", [&] {
    using C = scalar_t;
    switch (op) {
      case BinaryMathOp::Add: return cpu_kernel(iter, [](C a, C b) -> C { return a + b; });
      case BinaryMathOp::Sub: return cpu_kernel(iter, [](C a, C b) -> C { return a - b; });
      case BinaryMathOp::Mul: return cpu_kernel(iter, [](C a, C b) -> C { return a * b; });
      case BinaryMathOp::Div: return cpu_kernel(iter, [](C a, C b) -> C { return a / b; });
      case BinaryMathOp::Pow:
        return cpu_kernel(iter, [](C a, C b) -> C {
          // 0 ** 0 is 1 and 0 ** b (Re b > 0) is 0 in PyTorch; std::pow(0, b) goes through log(0).
          if (a == C(0)) return b == C(0) ? C(1) : (b.real() > 0 && b.imag() == 0 ? C(0) : std::pow(a, b));
          return std::pow(a, b);
        });
      default: no_complex("binary_math", iter.dtype(0));
    }
  });
}

void complex_add_alpha(const TensorIter& iter, const Scalar& alpha) {
  PE_DISPATCH_COMPLEX_TYPES(iter.dtype(0), "add", [&] {
    using C = scalar_t;
    const C al = alpha.to<C>();
    cpu_kernel(iter, [al](C a, C b) -> C { return a + al * b; });
  });
}

namespace {
template <class C>
void unary_float(const TensorIter& iter, UnaryFloatOp op) {
  using R = typename C::value_type;
  switch (op) {
#define PE_CASE(Name, expr) \
  case UnaryFloatOp::Name:  \
    return cpu_kernel(iter, [](C x) -> C { return expr; });
    PE_CASE(Sqrt, std::sqrt(x))
    PE_CASE(Rsqrt, C(1) / std::sqrt(x))
    PE_CASE(Exp, std::exp(x))
    PE_CASE(Exp2, std::pow(C(2), x))
    PE_CASE(Expm1, std::exp(x) - C(1))
    PE_CASE(Log, std::log(x))
    PE_CASE(Log1p, std::log(C(1) + x))
    PE_CASE(Log2, std::log(x) / std::log(R(2)))
    PE_CASE(Log10, std::log10(x))
    PE_CASE(Sin, std::sin(x))
    PE_CASE(Cos, std::cos(x))
    PE_CASE(Tan, std::tan(x))
    PE_CASE(Asin, std::asin(x))
    PE_CASE(Acos, std::acos(x))
    PE_CASE(Atan, std::atan(x))
    PE_CASE(Sinh, std::sinh(x))
    PE_CASE(Cosh, std::cosh(x))
    PE_CASE(Tanh, std::tanh(x))
    PE_CASE(Asinh, std::asinh(x))
    PE_CASE(Acosh, std::acosh(x))
    PE_CASE(Atanh, std::atanh(x))
    PE_CASE(Sigmoid, C(1) / (C(1) + std::exp(-x)))
    PE_CASE(Reciprocal, C(1) / x)
#undef PE_CASE
    default: no_complex("unary_float", iter.dtype(0));
  }
}
}  // namespace

void complex_unary_float(const TensorIter& iter, UnaryFloatOp op) {
  PE_DISPATCH_COMPLEX_TYPES(iter.dtype(0), "unary_float", [&] { unary_float<scalar_t>(iter, op); });
}

void complex_unary_misc(const TensorIter& iter, UnaryMiscOp op) {
  PE_DISPATCH_COMPLEX_TYPES(iter.dtype(0), "unary_misc", [&] {
    using C = scalar_t;
    if (op == UnaryMiscOp::Neg) return cpu_kernel(iter, [](C x) -> C { return -x; });
    no_complex(op == UnaryMiscOp::Relu ? "clamp_min_scalar_cpu" : "unary_misc", iter.dtype(0));
  });
}

// operands: (bool out, C in)
void complex_predicate(const TensorIter& iter, PredicateOp op) {
  PE_DISPATCH_COMPLEX_TYPES(iter.dtype(1), "predicate", [&] {
    using C = scalar_t;
    switch (op) {
      case PredicateOp::IsNan:
        return cpu_kernel(iter, [](C x) -> bool { return std::isnan(x.real()) || std::isnan(x.imag()); });
      case PredicateOp::IsInf:
        return cpu_kernel(iter, [](C x) -> bool { return std::isinf(x.real()) || std::isinf(x.imag()); });
      case PredicateOp::IsFinite:
        return cpu_kernel(iter, [](C x) -> bool { return std::isfinite(x.real()) && std::isfinite(x.imag()); });
      case PredicateOp::LogicalNot:
        return cpu_kernel(iter, [](C x) -> bool { return x == C(0); });
    }
  });
}

// operands: (R out, C in)
void complex_to_real(const TensorIter& iter, ComplexToRealOp op) {
  PE_DISPATCH_COMPLEX_TYPES(iter.dtype(1), "complex_to_real", [&] {
    using C = scalar_t;
    using R = typename C::value_type;
    if (op == ComplexToRealOp::Abs) return cpu_kernel(iter, [](C x) -> R { return std::abs(x); });
    return cpu_kernel(iter, [](C x) -> R { return std::arg(x); });
  });
}
PE_REGISTER_KERNEL(complex_to_real_stub, CPU, &complex_to_real);

void complex_where(const TensorIter& iter) {
  PE_DISPATCH_COMPLEX_TYPES(iter.dtype(0), "where", [&] {
    using C = scalar_t;
    cpu_kernel(iter, [](bool c, C a, C b) -> C { return c ? a : b; });
  });
}

bool complex_equal(const TensorIter& iter) {
  bool same = true;
  PE_DISPATCH_COMPLEX_TYPES(iter.dtype(0), "equal", [&] {
    using C = scalar_t;
    iter.serial_for(0, iter.numel(), [&](char** data, const int64_t* st, int64_t n) {
      for (int64_t i = 0; i < n && same; ++i)
        same = *reinterpret_cast<const C*>(data[0] + i * st[0]) == *reinterpret_cast<const C*>(data[1] + i * st[1]);
    });
  });
  return same;
}

// PyTorch's isclose on complex numbers: |a - b| <= atol + rtol * |b| with the complex modulus; NaN is a NaN
// in either part.
void complex_isclose(const TensorIter& iter, double rtol, double atol, bool equal_nan) {
  PE_DISPATCH_COMPLEX_TYPES(iter.dtype(1), "isclose", [&] {
    using C = scalar_t;
    using R = typename C::value_type;
    cpu_kernel(iter, [=](C a, C b) -> bool {
      if (a == b) return true;
      auto nan = [](C z) { return std::isnan(z.real()) || std::isnan(z.imag()); };
      if (equal_nan && nan(a) && nan(b)) return true;
      if (rtol == 0 && atol == 0) return false;
      const R actual = std::abs(a - b), allowed = static_cast<R>(atol) + std::abs(static_cast<R>(rtol) * b);
      return std::isfinite(actual) && actual <= allowed;
    });
  });
}

// operands: (bool out, C a, C b); complex numbers are not ordered (PyTorch raises for lt/le/gt/ge).
void complex_compare(const TensorIter& iter, CompareOp op) {
  PE_DISPATCH_COMPLEX_TYPES(iter.dtype(1), "compare", [&] {
    using C = scalar_t;
    if (op == CompareOp::Eq) return cpu_kernel(iter, [](C a, C b) -> bool { return a == b; });
    if (op == CompareOp::Ne) return cpu_kernel(iter, [](C a, C b) -> bool { return a != b; });
    static const char* names[] = {"eq", "ne", "lt_cpu", "le_cpu", "gt_cpu", "ge_cpu"};
    no_complex(names[(int)op], iter.dtype(1));
  });
}

}  // namespace pe::cpu

// Factory functions: empty/zeros/ones/full/eye/arange/linspace and the random ones.
#include <cmath>

#include "core/rng.h"
#include "ops/elementwise.h"
#include "ops/ops.h"
#include "ops/stubs.h"
#include "ops/view_dtype.h"

namespace pe {

namespace {
Tensor finish(Tensor t, const TensorOptions& opt) {
  if (opt.pin_memory) t = pin_memory(t);
  if (opt.requires_grad) {
    check_requires_grad_dtype(t.dtype());
    t->set_requires_grad(true);
  }
  return t;
}
}  // namespace

Tensor empty(const DimVector& sizes, const TensorOptions& opt) {
  return finish(make_empty(sizes, opt.dtype_or(default_dtype()), opt.device), opt);
}

Tensor full(const DimVector& sizes, const Scalar& value, const TensorOptions& opt) {
  Tensor t = make_empty(sizes, opt.dtype_or(value.natural_dtype()), opt.device);
  fill_(t, value);
  return finish(t, opt);
}

Tensor zeros(const DimVector& sizes, const TensorOptions& opt) {
  Tensor t = make_empty(sizes, opt.dtype_or(default_dtype()), opt.device);
  fill_(t, Scalar(int64_t(0)));
  return finish(t, opt);
}

Tensor ones(const DimVector& sizes, const TensorOptions& opt) {
  Tensor t = make_empty(sizes, opt.dtype_or(default_dtype()), opt.device);
  fill_(t, Scalar(int64_t(1)));
  return finish(t, opt);
}

// A wrapped number: converted without the overflow check (uint8_tensor + 300 wraps, as PyTorch).
Tensor scalar_tensor(const Scalar& s, DType dtype, Device device) {
  Tensor t = make_empty({}, dtype, device);
  fill_stub(t.device())(t, s);
  return t;
}

Tensor eye(int64_t n, int64_t m, const TensorOptions& opt) {
  PE_CHECK(n >= 0, "n must be greater or equal to 0, got ", n);
  PE_CHECK(m >= 0, "m must be greater or equal to 0, got ", m);  // every caller passes m (the binding: n if None)
  Tensor t = make_empty({n, m}, opt.dtype_or(default_dtype()), opt.device);
  fill_(t, Scalar(int64_t(0)));
  Tensor d = diagonal(t, 0, 0, 1);
  fill_(d, Scalar(int64_t(1)));
  return finish(t, opt);
}

Tensor arange(const Scalar& start, const Scalar& end, const Scalar& step, const TensorOptions& opt) {
  bool any_float = start.is_floating() || end.is_floating() || step.is_floating();
  DType dt = opt.dtype_or(any_float ? default_dtype() : DType::Int64);
  double s = start.to_double(), e = end.to_double(), st = step.to_double();
  // An integral result takes the step as its own type: a fractional step below 1 truncates to 0 (PyTorch's
  // ValueError), instead of a float range silently cast to integers.
  PE_CHECK_VALUE(!is_integral(dt, true) || !step.is_floating() || std::trunc(st) != 0, "step must be nonzero");
  PE_CHECK(st != 0, "step must be nonzero");
  PE_CHECK(std::isfinite(s) && std::isfinite(e), "unsupported range: ", s, " -> ", e);
  PE_CHECK((st > 0 && e >= s) || (st < 0 && e <= s), "upper bound and lower bound inconsistent with step sign");
  double count = std::ceil((e - s) / st);
  PE_CHECK(count >= 0 && count < 9.2e18, "invalid size, possible overflow?");
  int64_t n = (int64_t)count;
  if (!any_float) {  // exact integer arithmetic
    int64_t si = start.to_int64(), ei = end.to_int64(), sti = step.to_int64();
    n = sti > 0 ? (ei - si + sti - 1) / sti : (si - ei + (-sti) - 1) / (-sti);
  }
  Tensor t = make_empty({n}, dt, opt.device);
  if (n > 0) arange_stub(t.device())(t, start, step);
  return finish(t, opt);
}

Tensor linspace(const Scalar& start, const Scalar& end, int64_t steps, const TensorOptions& opt) {
  PE_CHECK(steps >= 0, "number of steps must be non-negative");
  DType dt = opt.dtype_or(default_dtype());
  Tensor t = make_empty({steps}, dt, opt.device);
  if (steps == 1) {
    fill_(t, start);
  } else if (steps > 1) {
    double s = start.to_double(), e = end.to_double();
    double step = (e - s) / (double)(steps - 1);
    // Symmetric like PyTorch: the second half counts back from `end` so the last value is exact.
    int64_t half = steps / 2;
    Tensor lo = narrow(t, 0, 0, half), hi = narrow(t, 0, half, steps - half);
    arange_stub(t.device())(lo, Scalar(s), Scalar(step));
    arange_stub(t.device())(hi, Scalar(e - step * (double)(steps - half - 1)), Scalar(step));
  }
  return finish(t, opt);
}

Tensor& uniform_(Tensor& t, double from, double to, Generator* gen) {
  PE_CHECK(from <= to, "uniform_ expects to return a [from, to) range, but found from=", from, " > to=", to);
  assert_no_internal_overlap(t);
  if (is_complex(t.dtype())) {  // each part drawn from [from, to), as PyTorch
    Tensor parts = view_as_real(t);
    uniform_(parts, from, to, gen);
    return t;
  }
  if (t.numel() > 0) {
    uint64_t seed, first;
    generator_or_default(gen, t.device()).reserve(philox_blocks(t.numel()), &seed, &first);
    uniform_stub(t.device())(t, from, to, seed, first);
  }
  t->bump_version();
  return t;
}

Tensor& normal_(Tensor& t, double mean, double std, Generator* gen) {
  PE_CHECK(std >= 0.0, "normal expects std >= 0.0, but found std ", std);
  assert_no_internal_overlap(t);
  if (is_complex(t.dtype())) {  // each part N(mean, std^2 / 2), as PyTorch: E|z - mean|^2 = std^2
    Tensor parts = view_as_real(t);
    normal_(parts, mean, std / std::sqrt(2.0), gen);
    return t;
  }
  if (t.numel() > 0) {
    uint64_t seed, first;
    generator_or_default(gen, t.device()).reserve(philox_blocks(t.numel()), &seed, &first);
    normal_stub(t.device())(t, mean, std, seed, first);
  }
  t->bump_version();
  return t;
}

Tensor& random_(Tensor& t, int64_t low, int64_t high, Generator* gen) {
  PE_CHECK(low < high, "random_ expects 'from' to be less than 'to', but got from=", low, " >= to=", high);
  // Uniform doubles in [low, high), floored (at most high - 1: the rounding of high to a double):
  // exact for ranges below 2^53. Elementwise ops on t's device.
  Tensor u = make_empty(t.sizes(), DType::Float64, t.device());
  uniform_(u, (double)low, (double)high, gen);
  Tensor v = minimum(to(floor(u), DType::Int64, std::nullopt), TensorOrScalar(Scalar(high - 1)));
  copy_(t, v);
  return t;
}

namespace {
// A complex random tensor, as PyTorch's: its real and imaginary parts drawn independently (one real tensor
// with a trailing (re, im) dim), each with the given distribution.
Tensor complex_random(const DimVector& sizes, const TensorOptions& opt, DType dt, bool normal, Generator* gen) {
  Tensor z = make_empty(sizes, dt, opt.device);
  if (normal) normal_(z, 0.0, 1.0, gen);  // E|z|^2 = 1: each part N(0, 1/2)
  else uniform_(z, 0.0, 1.0, gen);
  return finish(z, opt);
}
}  // namespace

Tensor rand(const DimVector& sizes, const TensorOptions& opt, Generator* gen) {
  if (opt.dtype && is_complex(*opt.dtype)) return complex_random(sizes, opt, *opt.dtype, false, gen);
  Tensor t = make_empty(sizes, opt.dtype_or(default_dtype()), opt.device);
  PE_CHECK_T(NotImplementedError, is_floating(t.dtype()), "\"check_uniform_bounds\" not implemented for '",
             scalar_type_name(t.dtype()), "'");
  uniform_(t, 0.0, 1.0, gen);
  return finish(t, opt);
}

Tensor randn(const DimVector& sizes, const TensorOptions& opt, Generator* gen) {
  if (opt.dtype && is_complex(*opt.dtype)) return complex_random(sizes, opt, *opt.dtype, true, gen);
  Tensor t = make_empty(sizes, opt.dtype_or(default_dtype()), opt.device);
  PE_CHECK_T(NotImplementedError, is_floating(t.dtype()), "\"normal_kernel_cpu\" not implemented for '",
             scalar_type_name(t.dtype()), "'");
  normal_(t, 0.0, 1.0, gen);
  return finish(t, opt);
}

Tensor randint(int64_t low, int64_t high, const DimVector& sizes, const TensorOptions& opt, Generator* gen) {
  Tensor t = make_empty(sizes, opt.dtype_or(DType::Int64), opt.device);
  if (t.numel() > 0) random_(t, low, high, gen);
  else PE_CHECK(low < high, "random_ expects 'from' to be less than 'to', but got from=", low, " >= to=", high);
  return finish(t, opt);
}

Tensor randperm(int64_t n, const TensorOptions& opt, Generator* gen) {
  PE_CHECK(n >= 0, "n must be non-negative, got", n);
  // The permutation that sorts one uniform draw per position (the same on every device).
  Tensor keys = make_empty({n}, DType::Float64, opt.device);
  uniform_(keys, 0.0, 1.0, gen);
  Tensor perm = make_empty({n}, DType::Int64, opt.device);
  randperm_stub(opt.device)(perm, keys);
  DType dt = opt.dtype_or(DType::Int64);
  return finish(to(perm, dt, opt.device), opt);
}

Tensor normal(const Tensor& mean, const Tensor& std, Generator* gen) {
  DimVector shape = broadcast_shapes(mean.sizes(), std.sizes());
  DType dt = promote_types(mean.dtype(), std.dtype());
  PE_CHECK(is_floating(dt), "normal expects floating-point mean and std, got ", dtype_name(dt));
  Tensor z = make_empty(shape, dt, mean.device());
  normal_(z, 0.0, 1.0, gen);
  return add(mul(z, std), mean);
}

}  // namespace pe

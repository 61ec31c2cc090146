// Bindings of torch.special (autograd/ops_special.h, ops/special.h): the torch.* functions and
// Tensor methods PyTorch has (lgamma, digamma, polygamma, erfinv, i0, igamma, igammac, nextafter,
// gcd, lcm, frexp and their in-place forms) in _C, and the torch.special-only functions in the
// submodule _C._special under their torch.special names (pyengine/special.py adds the aliases).
// Differentiable ops call the autograd wrappers; out= refuses inputs that require grad, as PyTorch.
#include "autograd/ops_special.h"
#include "python/elementwise_common.h"

namespace pe::python {
namespace {

using ew::operand;
using ew::tensor_arg;
using ew::with_out;

using UnaryFn = Tensor (*)(const Tensor&);
using UnaryInplaceFn = Tensor& (*)(Tensor&);
using BinaryFn = Tensor (*)(const TensorOrScalar&, const TensorOrScalar&);
using BinaryInplaceFn = Tensor& (*)(Tensor&, const TensorOrScalar&);

void check_out(py::handle out, std::initializer_list<const Tensor*> inputs) {
  if (!out.is_none()) autograd::check_out_no_grad(inputs);
}
const Tensor* ptr(const TensorOrScalar& x) { return x.is_scalar ? nullptr : &x.tensor; }

// name(input, *, out=None) in m; with `cls`, also input.name() and input.name_().
void def_unary(py::module_& m, TensorClass* cls, const char* name, UnaryFn f, UnaryInplaceFn f_) {
  m.def(name, [=](py::handle a, py::handle out) {
    Tensor t = tensor_arg(a, name, "input", 1);
    check_out(out, {&t});
    return with_out(out, f(t));
  }, py::arg("input"), py::kw_only(), py::arg("out") = py::none());
  if (!cls) return;
  cls->def(name, [f](const Tensor& a) { return f(a); });
  std::string iname = std::string(name) + "_";
  m.def(iname.c_str(), [=](py::handle h) {
    Tensor a = tensor_arg(h, name, "input", 1);
    f_(a);
    return py::reinterpret_borrow<py::object>(h);
  }, py::arg("input"));
  cls->def(iname.c_str(), [f_](Tensor& a) -> Tensor& { return f_(a); });
}

// name(input, other, *, out=None); `numbers`: either operand may be a Python number (not both).
void def_binary(py::module_& m, TensorClass* cls, const char* name, const char* arg0, const char* arg1, BinaryFn f,
                BinaryInplaceFn f_, bool numbers) {
  m.def(name, [=](py::handle input, py::handle other, py::handle out) {
    TensorOrScalar a = operand(input, name, arg0, 1, numbers && is_tensor(other));
    TensorOrScalar b = operand(other, name, arg1, 2, numbers);
    check_out(out, {ptr(a), ptr(b)});
    return with_out(out, f(a, b));
  }, py::arg(arg0), py::arg(arg1), py::kw_only(), py::arg("out") = py::none());
  if (!cls) return;
  cls->def(name, [=](const Tensor& self, py::handle other) {
    return f(TensorOrScalar(self), operand(other, name, arg1, 1, numbers));
  }, py::arg(arg1));
  std::string iname = std::string(name) + "_";
  cls->def(iname.c_str(), [=](Tensor& self, py::handle other) -> Tensor& {
    return f_(self, operand(other, name, arg1, 1, numbers));
  }, py::arg(arg1));
}

void bind_special(py::module_& m, TensorClass& cls) {
  using TS = const TensorOrScalar&;
  // ---- torch.* and Tensor methods ----
  def_unary(m, &cls, "lgamma", &autograd::lgamma, &autograd::lgamma_);
  def_unary(m, &cls, "digamma", &autograd::digamma, &autograd::digamma_);
  def_unary(m, &cls, "erfinv", &autograd::erfinv, &autograd::erfinv_);
  def_unary(m, &cls, "i0", &autograd::i0, &autograd::i0_);
  def_binary(m, &cls, "igamma", "input", "other", [](TS a, TS b) { return autograd::igamma(a, b); },
             [](Tensor& a, TS b) -> Tensor& { return autograd::igamma_(a, b); }, false);
  def_binary(m, &cls, "igammac", "input", "other", [](TS a, TS b) { return autograd::igammac(a, b); },
             [](Tensor& a, TS b) -> Tensor& { return autograd::igammac_(a, b); }, false);
  def_binary(m, &cls, "nextafter", "input", "other", [](TS a, TS b) { return autograd::nextafter(a, b); },
             [](Tensor& a, TS b) -> Tensor& { return autograd::nextafter_(a, b); }, false);
  def_binary(m, &cls, "gcd", "input", "other", [](TS a, TS b) { return pe::gcd(a, b); },
             [](Tensor& a, TS b) -> Tensor& { return pe::gcd_(a, b); }, false);
  def_binary(m, &cls, "lcm", "input", "other", [](TS a, TS b) { return pe::lcm(a, b); },
             [](Tensor& a, TS b) -> Tensor& { return pe::lcm_(a, b); }, false);

  // polygamma(n, input, *, out=None), input.polygamma(n), input.polygamma_(n)
  // (n is anything with __index__, a 0-d integer tensor too, as PyTorch's int arguments)
  m.def("polygamma", [](py::handle n, py::handle a, py::handle out) {
    Tensor t = tensor_arg(a, "polygamma", "input", 2);
    check_out(out, {&t});
    return with_out(out, autograd::polygamma(index_to_int64(n), t));
  }, py::arg("n"), py::arg("input"), py::kw_only(), py::arg("out") = py::none());
  cls.def("polygamma", [](const Tensor& a, py::handle n) { return autograd::polygamma(index_to_int64(n), a); },
          py::arg("n"));
  cls.def("polygamma_", [](Tensor& a, py::handle n) -> Tensor& {
    return autograd::polygamma_(a, index_to_int64(n));
  }, py::arg("n"));

  // frexp(input) -> (mantissa, exponent): pyengine/_ops_special.py names the pair and handles out=
  m.def("_frexp", [](const Tensor& a) {
    auto [mantissa, exponent] = autograd::frexp(a);
    return py::make_tuple(mantissa, exponent);
  });

  // ---- torch.special-only functions, in _C._special ----
  py::module_ sp = m.def_submodule("_special", "torch.special functions without a torch.* name");
  struct U {
    const char* name;
    UnaryFn f;
  };
  const U differentiable[] = {
      {"i0e", &autograd::special_i0e},     {"i1", &autograd::special_i1},
      {"i1e", &autograd::special_i1e},     {"ndtr", &autograd::special_ndtr},
      {"ndtri", &autograd::special_ndtri}, {"log_ndtr", &autograd::special_log_ndtr},
      {"erfcx", &autograd::special_erfcx}, {"entr", &autograd::special_entr},
  };
  for (const U& u : differentiable) def_unary(sp, nullptr, u.name, u.f, nullptr);
  // not differentiable in PyTorch: the plain ops
  const U plain[] = {
      {"bessel_j0", &pe::special_bessel_j0},
      {"bessel_j1", &pe::special_bessel_j1},
      {"bessel_y0", &pe::special_bessel_y0},
      {"bessel_y1", &pe::special_bessel_y1},
      {"modified_bessel_i0", &pe::special_modified_bessel_i0},
      {"modified_bessel_i1", &pe::special_modified_bessel_i1},
      {"modified_bessel_k0", &pe::special_modified_bessel_k0},
      {"modified_bessel_k1", &pe::special_modified_bessel_k1},
      {"scaled_modified_bessel_k0", &pe::special_scaled_modified_bessel_k0},
      {"scaled_modified_bessel_k1", &pe::special_scaled_modified_bessel_k1},
      {"spherical_bessel_j0", &pe::special_spherical_bessel_j0},
      {"airy_ai", &pe::special_airy_ai},
  };
  for (const U& u : plain) def_unary(sp, nullptr, u.name, u.f, nullptr);
  def_binary(sp, nullptr, "xlog1py", "input", "other", [](TS a, TS b) { return autograd::special_xlog1py(a, b); },
             nullptr, true);
  def_binary(sp, nullptr, "zeta", "input", "other", [](TS a, TS b) { return autograd::special_zeta(a, b); }, nullptr,
             true);
#define PE_BIND_POLYNOMIAL(name)                                                                     \
  def_binary(sp, nullptr, #name, "input", "n", [](TS a, TS b) { return pe::special_##name(a, b); }, \
             nullptr, true);
  PE_BIND_POLYNOMIAL(chebyshev_polynomial_t)
  PE_BIND_POLYNOMIAL(chebyshev_polynomial_u)
  PE_BIND_POLYNOMIAL(chebyshev_polynomial_v)
  PE_BIND_POLYNOMIAL(chebyshev_polynomial_w)
  PE_BIND_POLYNOMIAL(shifted_chebyshev_polynomial_t)
  PE_BIND_POLYNOMIAL(shifted_chebyshev_polynomial_u)
  PE_BIND_POLYNOMIAL(shifted_chebyshev_polynomial_v)
  PE_BIND_POLYNOMIAL(shifted_chebyshev_polynomial_w)
  PE_BIND_POLYNOMIAL(hermite_polynomial_h)
  PE_BIND_POLYNOMIAL(hermite_polynomial_he)
  PE_BIND_POLYNOMIAL(laguerre_polynomial_l)
  PE_BIND_POLYNOMIAL(legendre_polynomial_p)
#undef PE_BIND_POLYNOMIAL
}

}  // namespace

PE_PY_BINDINGS(bind_special);

}  // namespace pe::python

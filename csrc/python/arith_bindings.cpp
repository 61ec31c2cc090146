// Arithmetic bindings: add/sub/mul/div (alpha, rounding_mode), true_divide, floor_divide,
// remainder, fmod, pow, float_power, rsub, neg, abs, positive, as functions (with out=), methods,
// in-place methods and the Python operators (+ - * / // % ** unary - + abs and the reflected and
// in-place forms). A Python number operand is a wrapped number (ops/elementwise.h).
#include "autograd/ops_basic.h"
#include "autograd/ops_elementwise.h"
#include "python/elementwise_common.h"

namespace pe::python {
namespace {

using ew::not_implemented;
using ew::operand;
using python::with_out_into;

using BinaryFn = Tensor (*)(const TensorOrScalar&, const TensorOrScalar&);
using InplaceFn = Tensor& (*)(Tensor&, const TensorOrScalar&);

// name(input, other, *, out=None), input.name(other), input.name_(other). `number_input`: the
// function also takes a Python number as input (torch.pow(2, t)); `number_other` likewise for other;
// `two_numbers`: both may be numbers (torch.add(2, 3) is a 0-dim tensor).
void def_binary(py::module_& m, TensorClass& cls, const char* name, BinaryFn f, InplaceFn f_, bool number_input,
                bool number_other, const char* other_name = "other", bool two_numbers = false) {
  m.def(name, [=](py::handle input, py::handle other, py::handle out) {
    TensorOrScalar a = operand(input, name, "input", 1, number_input && (two_numbers || is_tensor(other)));
    TensorOrScalar b = operand(other, name, other_name, 2, number_other);
    return with_out_into(out, {&a, &b}, name, [&] { return f(a, b); });
  }, py::arg("input"), py::arg(other_name), py::kw_only(), py::arg("out") = py::none());
  cls.def(name, [=](const Tensor& self, py::handle other) {
    return f(TensorOrScalar(self), operand(other, name, other_name, 1, number_other));
  }, py::arg(other_name));
  if (f_) {
    std::string iname = std::string(name) + "_";
    cls.def(iname.c_str(), [=](Tensor& self, py::handle other) -> Tensor& {
      return f_(self, operand(other, name, other_name, 1, number_other));
    }, py::arg(other_name));
  }
}

// Python operators: a <op> b, b <op> a (reflected) and a <op>= b; NotImplemented for other types.
// `rf` computes the reflected form from (self, other) when given: PyTorch's reflected operators are
// not f(other, self) but add(self, other), mul(self, other), rsub(self, other) and
// reciprocal(self) * other, and the recorded graph (grad_fn, edge order) follows from that.
using ReflectedFn = Tensor (*)(const Tensor&, const TensorOrScalar&);
void def_operator(TensorClass& cls, const char* op, BinaryFn f, InplaceFn f_, ReflectedFn rf = nullptr) {
  std::string base(op);
  cls.def(("__" + base + "__").c_str(), [f](const Tensor& a, py::handle b) -> py::object {
    if (!ew::is_operand(b)) return not_implemented();
    return py::cast(f(TensorOrScalar(a), operand(b, "", "", 0, true)));
  });
  cls.def(("__r" + base + "__").c_str(), [f, rf](const Tensor& a, py::handle b) -> py::object {
    if (!ew::is_operand(b)) return not_implemented();
    if (rf) return py::cast(rf(a, operand(b, "", "", 0, true)));
    return py::cast(f(operand(b, "", "", 0, true), TensorOrScalar(a)));
  });
  cls.def(("__i" + base + "__").c_str(), [f_](Tensor& a, py::handle b) -> py::object {
    if (!ew::is_operand(b)) return not_implemented();
    return py::cast(f_(a, operand(b, "", "", 0, true)));
  });
}

Tensor add1(const TensorOrScalar& a, const TensorOrScalar& b) { return autograd::add(a, b, Scalar(int64_t(1))); }
Tensor sub1(const TensorOrScalar& a, const TensorOrScalar& b) { return autograd::sub(a, b, Scalar(int64_t(1))); }
Tensor& add1_(Tensor& a, const TensorOrScalar& b) {
  return autograd::add_(a, b);
}
Tensor& sub1_(Tensor& a, const TensorOrScalar& b) {
  return autograd::sub_(a, b);
}
Tensor mul2(const TensorOrScalar& a, const TensorOrScalar& b) { return autograd::mul(a, b); }
Tensor& mul2_(Tensor& a, const TensorOrScalar& b) { return autograd::mul_(a, b); }
Tensor truediv(const TensorOrScalar& a, const TensorOrScalar& b) { return autograd::div(a, b, std::nullopt); }
// The reflected operators, as torch/_tensor.py and python_variable_methods.cpp define them.
Tensor radd(const Tensor& self, const TensorOrScalar& other) { return add1(TensorOrScalar(self), other); }
Tensor rsub(const Tensor& self, const TensorOrScalar& other) { return autograd::rsub(self, other, Scalar(int64_t(1))); }
Tensor rmul(const Tensor& self, const TensorOrScalar& other) { return autograd::mul(TensorOrScalar(self), other); }
Tensor rtruediv(const Tensor& self, const TensorOrScalar& other) {
  return autograd::mul(TensorOrScalar(autograd::reciprocal(self)), other);
}
Tensor& truediv_(Tensor& a, const TensorOrScalar& b) { return autograd::div_(a, b, std::nullopt); }

// add/sub with alpha: function, method and in-place method.
template <class F, class FI>
void def_alpha_op(py::module_& m, TensorClass& cls, const char* name, F f, FI f_) {
  m.def(name, [=](py::handle input, py::handle other, const Scalar& alpha, py::handle out) {
    TensorOrScalar a = operand(input, name, "input", 1, true);
    TensorOrScalar b = operand(other, name, "other", 2, true);
    return with_out_into(out, {&a, &b}, name, [&] { return f(a, b, alpha); });
  }, py::arg("input"), py::arg("other"), py::kw_only(), py::arg("alpha") = Scalar(int64_t(1)),
     py::arg("out") = py::none());
  cls.def(name, [=](const Tensor& self, py::handle other, const Scalar& alpha) {
    return f(TensorOrScalar(self), operand(other, name, "other", 1, true), alpha);
  }, py::arg("other"), py::kw_only(), py::arg("alpha") = Scalar(int64_t(1)));
  std::string iname = std::string(name) + "_";
  cls.def(iname.c_str(), [=](Tensor& self, py::handle other, const Scalar& alpha) -> Tensor& {
    return f_(self, operand(other, name, "other", 1, true), alpha);
  }, py::arg("other"), py::kw_only(), py::arg("alpha") = Scalar(int64_t(1)));
}

void bind_arith(py::module_& m, TensorClass& cls) {
  using TS = const TensorOrScalar&;
  def_alpha_op(m, cls, "add", [](TS a, TS b, const Scalar& al) { return autograd::add(a, b, al); },
               [](Tensor& a, TS b, const Scalar& al) -> Tensor& { return autograd::add_(a, b, al); });
  def_alpha_op(m, cls, "sub", [](TS a, TS b, const Scalar& al) { return autograd::sub(a, b, al); },
               [](Tensor& a, TS b, const Scalar& al) -> Tensor& { return autograd::sub_(a, b, al); });
  m.def("rsub", [](py::handle a, py::handle other, const Scalar& alpha) {
    return autograd::rsub(ew::tensor_arg(a, "rsub", "input", 1), operand(other, "rsub", "other", 2, true), alpha);
  }, py::arg("input"), py::arg("other"), py::kw_only(), py::arg("alpha") = Scalar(int64_t(1)));

  def_binary(m, cls, "mul", &mul2, &mul2_, true, true, "other", true);
  def_binary(m, cls, "true_divide", &truediv, &truediv_, true, true, "other", true);
  // div with rounding_mode
  auto mode_of = [](py::handle h) -> std::optional<std::string> {
    if (h.is_none()) return std::nullopt;
    return h.cast<std::string>();
  };
  m.def("div", [=](py::handle input, py::handle other, py::handle mode, py::handle out) {
    TensorOrScalar a = operand(input, "div", "input", 1, true);
    TensorOrScalar b = operand(other, "div", "other", 2, true);
    return with_out_into(out, {&a, &b}, "div", [&] { return autograd::div(a, b, mode_of(mode)); });
  }, py::arg("input"), py::arg("other"), py::kw_only(), py::arg("rounding_mode") = py::none(),
     py::arg("out") = py::none());
  cls.def("div", [=](const Tensor& self, py::handle other, py::handle mode) {
    return autograd::div(TensorOrScalar(self), operand(other, "div", "other", 1, true), mode_of(mode));
  }, py::arg("other"), py::kw_only(), py::arg("rounding_mode") = py::none());
  cls.def("div_", [=](Tensor& self, py::handle other, py::handle mode) -> Tensor& {
    return autograd::div_(self, operand(other, "div_", "other", 1, true), mode_of(mode));
  }, py::arg("other"), py::kw_only(), py::arg("rounding_mode") = py::none());

  def_binary(m, cls, "floor_divide", [](TS a, TS b) { return autograd::floor_divide(a, b); },
             [](Tensor& a, TS b) -> Tensor& { return autograd::floor_divide_(a, b); }, true, true, "other", true);
  def_binary(m, cls, "remainder", [](TS a, TS b) { return autograd::remainder(a, b); },
             [](Tensor& a, TS b) -> Tensor& { return autograd::remainder_(a, b); }, true, true);
  def_binary(m, cls, "fmod", [](TS a, TS b) { return autograd::fmod(a, b); },
             [](Tensor& a, TS b) -> Tensor& { return autograd::fmod_(a, b); }, false, true);
  def_binary(m, cls, "pow", [](TS a, TS b) { return autograd::pow(a, b); },
             [](Tensor& a, TS b) -> Tensor& { return autograd::pow_(a, b); }, true, true, "exponent");
  def_binary(m, cls, "float_power", [](TS a, TS b) { return autograd::float_power(a, b); },
             [](Tensor& a, TS b) -> Tensor& { return autograd::float_power_(a, b); }, true, true, "exponent");

  // operators
  def_operator(cls, "add", &add1, &add1_, &radd);
  def_operator(cls, "sub", &sub1, &sub1_, &rsub);
  def_operator(cls, "mul", &mul2, &mul2_, &rmul);
  def_operator(cls, "truediv", &truediv, &truediv_, &rtruediv);
  def_operator(cls, "floordiv", [](TS a, TS b) { return autograd::floor_divide(a, b); },
               [](Tensor& a, TS b) -> Tensor& { return autograd::floor_divide_(a, b); });
  def_operator(cls, "mod", [](TS a, TS b) { return autograd::remainder(a, b); },
               [](Tensor& a, TS b) -> Tensor& { return autograd::remainder_(a, b); });
  def_operator(cls, "pow", [](TS a, TS b) { return autograd::pow(a, b); }, [](Tensor& a, TS b) -> Tensor& { return autograd::pow_(a, b); });

  // unary arithmetic
  using ew::tensor_arg;
  m.def("neg", [](py::handle a, py::handle out) {
    TensorOrScalar t(tensor_arg(a, "neg", "input", 1));
    return with_out_into(out, {&t}, "", [&] { return autograd::neg(t.tensor); });
  },
        py::arg("input"), py::kw_only(), py::arg("out") = py::none());
  m.def("abs", [](py::handle a, py::handle out) {
    TensorOrScalar t(tensor_arg(a, "abs", "input", 1));
    return with_out_into(out, {&t}, "", [&] { return autograd::abs(t.tensor); });
  },
        py::arg("input"), py::kw_only(), py::arg("out") = py::none());
  m.def("neg_", [](py::handle h) {
    Tensor a = tensor_arg(h, "neg_", "input", 1);
    autograd::neg_(a);
    return py::reinterpret_borrow<py::object>(h);
  }, py::arg("input"));
  m.def("abs_", [](py::handle h) {
    Tensor a = tensor_arg(h, "abs_", "input", 1);
    autograd::abs_(a);
    return py::reinterpret_borrow<py::object>(h);
  }, py::arg("input"));
  m.def("positive", [](py::handle h) {
    positive(tensor_arg(h, "positive", "input", 1));
    return py::reinterpret_borrow<py::object>(h);
  }, py::arg("input"));
  cls.def("neg", [](const Tensor& a) { return autograd::neg(a); })
      .def("neg_", [](Tensor& a) -> Tensor& { return autograd::neg_(a); })
      .def("__neg__", [](const Tensor& a) { return autograd::neg(a); })
      .def("positive", [](const Tensor& a) { return positive(a); })
      .def("__pos__", [](const Tensor& a) { return positive(a); })
      .def("abs", [](const Tensor& a) { return autograd::abs(a); })
      .def("abs_", [](Tensor& a) -> Tensor& { return autograd::abs_(a); })
      .def("__abs__", [](const Tensor& a) { return autograd::abs(a); });

  // numpy scalars defer to the tensor's reflected operators (np.float64(2) + t is a tensor), as in PyTorch
  cls.attr("__array_priority__") = 1000;

  // PyTorch's aliases
  for (auto [alias, name] : {std::pair{"absolute", "abs"}, {"negative", "neg"}, {"subtract", "sub"},
                             {"multiply", "mul"}, {"divide", "div"}}) {
    m.attr(alias) = m.attr(name);
    cls.attr(alias) = cls.attr(name);
    cls.attr((std::string(alias) + "_").c_str()) = cls.attr((std::string(name) + "_").c_str());
  }
}

}  // namespace

PE_PY_BINDINGS(bind_arith);

}  // namespace pe::python

// Bindings of the elementwise op library: unary math and rounding, sign/relu/square, predicates,
// comparisons (== != < <= > >=), logical and bitwise ops (& | ^ ~ << >>), atan2, maximum/minimum,
// where, clamp/clip, lerp, round(decimals), nan_to_num; functions (out=), methods, in-place
// methods and PyTorch's aliases. Differentiable ops call the autograd wrappers
// (autograd/ops_elementwise.h); out= refuses inputs that require grad, as PyTorch.
#include "autograd/ops_elementwise.h"
#include "python/elementwise_common.h"

namespace pe::python {
namespace {

using ew::not_implemented;
using ew::operand;
using ew::tensor_arg;
using ew::with_out;
using python::with_out_into;

using UnaryFn = Tensor (*)(const Tensor&);
using UnaryInplaceFn = Tensor& (*)(Tensor&);
using BinaryFn = Tensor (*)(const TensorOrScalar&, const TensorOrScalar&);
using InplaceFn = Tensor& (*)(Tensor&, const TensorOrScalar&);

// out= with autograd: PyTorch's error when an input requires grad (and grad mode is on).
void check_out(py::handle out, std::initializer_list<const Tensor*> inputs) {
  if (!out.is_none()) autograd::check_out_no_grad(inputs);
}
const Tensor* ptr(const TensorOrScalar& x) { return x.is_scalar ? nullptr : &x.tensor; }
const Tensor* ptr(const std::optional<TensorOrScalar>& x) { return x ? ptr(*x) : nullptr; }

// name(input, *, out=None), name_(input), input.name(), input.name_()
void def_unary(py::module_& m, TensorClass& cls, const char* name, UnaryFn f, UnaryInplaceFn f_, bool has_out = true) {
  if (has_out)
    m.def(name, [=](py::handle a, py::handle out) {
      Tensor t = tensor_arg(a, name, "input", 1);
      check_out(out, {&t});
      TensorOrScalar ts(t);
      return with_out_into(out, {&ts}, "", [&] { return f(t); });
    }, py::arg("input"), py::kw_only(), py::arg("out") = py::none());
  else
    m.def(name, [=](py::handle a) { return f(tensor_arg(a, name, "input", 1)); }, py::arg("input"));
  cls.def(name, [f](const Tensor& a) { return f(a); });
  if (f_) {
    std::string iname = std::string(name) + "_";
    m.def(iname.c_str(), [=](py::handle h) {
      Tensor a = tensor_arg(h, name, "input", 1);
      f_(a);
      return py::reinterpret_borrow<py::object>(h);
    }, py::arg("input"));
    cls.def(iname.c_str(), [f_](Tensor& a) -> Tensor& { return f_(a); });
  }
}

// name(input, other, *, out=None), input.name(other), input.name_(other). `number_input` /
// `numbers`: input (when other is a tensor) / other may be a Python number.
void def_binary(py::module_& m, TensorClass& cls, const char* name, BinaryFn f, InplaceFn f_, bool number_input,
                bool numbers) {
  m.def(name, [=](py::handle input, py::handle other, py::handle out) {
    TensorOrScalar a = operand(input, name, "input", 1, number_input && is_tensor(other));
    TensorOrScalar b = operand(other, name, "other", 2, numbers);
    check_out(out, {ptr(a), ptr(b)});
    return with_out_into(out, {&a, &b}, "", [&] { return f(a, b); });
  }, py::arg("input"), py::arg("other"), py::kw_only(), py::arg("out") = py::none());
  cls.def(name, [=](const Tensor& self, py::handle other) {
    return f(TensorOrScalar(self), operand(other, name, "other", 1, numbers));
  }, py::arg("other"));
  if (!f_) return;
  std::string iname = std::string(name) + "_";
  cls.def(iname.c_str(), [=](Tensor& self, py::handle other) -> Tensor& {
    return f_(self, operand(other, name, "other", 1, numbers));
  }, py::arg("other"));
}

// The operator forms of a binary op; `reflected`/`inplace` add __r<op>__ / __i<op>__.
void def_operator(TensorClass& cls, const char* op, BinaryFn f, InplaceFn f_, bool reflected) {
  std::string base(op);
  cls.def(("__" + base + "__").c_str(), [f](const Tensor& a, py::handle b) -> py::object {
    if (!ew::is_operand(b)) return not_implemented();
    return py::cast(f(TensorOrScalar(a), operand(b, "", "", 0, true)));
  });
  if (!reflected) return;
  cls.def(("__r" + base + "__").c_str(), [f](const Tensor& a, py::handle b) -> py::object {
    if (!ew::is_operand(b)) return not_implemented();
    return py::cast(f(operand(b, "", "", 0, true), TensorOrScalar(a)));
  });
  cls.def(("__i" + base + "__").c_str(), [f_](Tensor& a, py::handle b) -> py::object {
    if (!ew::is_operand(b)) return not_implemented();
    return py::cast(f_(a, operand(b, "", "", 0, true)));
  });
}

std::optional<TensorOrScalar> optional_operand(py::handle h, const char* fn, const char* arg, int pos) {
  if (h.is_none()) return std::nullopt;
  return operand(h, fn, arg, pos, true);
}

void bind_unary(py::module_& m, TensorClass& cls) {
#define PE_BIND_UNARY(Name, name, expr) def_unary(m, cls, #name, &autograd::name, &autograd::name##_);
  PE_FORALL_UNARY_FLOAT_OPS(PE_BIND_UNARY)
  PE_BIND_UNARY(Ceil, ceil, )
  PE_BIND_UNARY(Floor, floor, )
  PE_BIND_UNARY(Trunc, trunc, )
  PE_BIND_UNARY(Frac, frac, )
  PE_BIND_UNARY(Sign, sign, )
  PE_BIND_UNARY(Square, square, )
#undef PE_BIND_UNARY
  def_unary(m, cls, "bitwise_not", &pe::bitwise_not, &pe::bitwise_not_);  // not differentiable
  def_unary(m, cls, "logical_not", &pe::logical_not, &pe::logical_not_);
  def_unary(m, cls, "relu", &autograd::relu, &autograd::relu_, false);
  def_unary(m, cls, "isnan", &pe::isnan, nullptr, false);
  def_unary(m, cls, "isinf", &pe::isinf, nullptr, false);
  def_unary(m, cls, "isfinite", &pe::isfinite, nullptr, false);

  // round(input, *, decimals=0, out=None); decimals given selects PyTorch's decimals overload
  using OI = std::optional<int64_t>;
  auto round_of = [](const Tensor& a, OI d) { return d ? autograd::round(a, *d) : autograd::round(a); };
  auto round_of_ = [](Tensor& a, OI d) -> Tensor& { return d ? autograd::round_(a, *d) : autograd::round_(a); };
  m.def("round", [=](py::handle a, OI d, py::handle out) {
    Tensor t = tensor_arg(a, "round", "input", 1);
    check_out(out, {&t});
    return with_out(out, round_of(t, d));
  },
        py::arg("input"), py::kw_only(), py::arg("decimals") = py::none(), py::arg("out") = py::none());
  m.def("round_", [=](py::handle h, OI d) {
    Tensor a = tensor_arg(h, "round_", "input", 1);
    round_of_(a, d);
    return py::reinterpret_borrow<py::object>(h);
  }, py::arg("input"), py::kw_only(), py::arg("decimals") = py::none());
  cls.def("round", round_of, py::kw_only(), py::arg("decimals") = py::none());
  cls.def("round_", round_of_, py::kw_only(), py::arg("decimals") = py::none());

  // nan_to_num(input, nan=0.0, posinf=None, neginf=None, *, out=None)
  using OD = std::optional<double>;
  m.def("nan_to_num", [](py::handle a, OD nan, OD posinf, OD neginf, py::handle out) {
    Tensor t = tensor_arg(a, "nan_to_num", "input", 1);
    check_out(out, {&t});
    return with_out(out, autograd::nan_to_num(t, nan, posinf, neginf));
  }, py::arg("input"), py::arg("nan") = 0.0, py::arg("posinf") = py::none(), py::arg("neginf") = py::none(),
     py::kw_only(), py::arg("out") = py::none());
  m.def("nan_to_num_", [](py::handle h, OD nan, OD posinf, OD neginf) {
    Tensor a = tensor_arg(h, "nan_to_num_", "input", 1);
    autograd::nan_to_num_(a, nan, posinf, neginf);
    return py::reinterpret_borrow<py::object>(h);
  }, py::arg("input"), py::arg("nan") = 0.0, py::arg("posinf") = py::none(), py::arg("neginf") = py::none());
  cls.def("nan_to_num", [](const Tensor& a, OD nan, OD posinf, OD neginf) {
    return autograd::nan_to_num(a, nan, posinf, neginf);
  },
          py::arg("nan") = 0.0, py::arg("posinf") = py::none(), py::arg("neginf") = py::none());
  cls.def("nan_to_num_", [](Tensor& a, OD nan, OD posinf, OD neginf) -> Tensor& {
    return autograd::nan_to_num_(a, nan, posinf, neginf);
  }, py::arg("nan") = 0.0, py::arg("posinf") = py::none(), py::arg("neginf") = py::none());

  // ~x: PyTorch raises TypeError for floating tensors (bitwise_not raises NotImplementedError)
  cls.def("__invert__", [](const Tensor& a) {
    PE_CHECK_TYPE(!is_floating(a.dtype()), "~ (operator.invert) is only implemented on integer and Boolean-type tensors");
    return bitwise_not(a);
  });
}

void bind_binary(py::module_& m, TensorClass& cls) {
  using TS = const TensorOrScalar&;
  // (number input, number other) as PyTorch: torch.eq(2, t) and torch.maximum(t, 2) are TypeErrors
#define PE_BIND_BINARY(name, number_input, numbers)                                                  \
  def_binary(m, cls, #name, [](TS a, TS b) { return pe::name(a, b); },                                \
             [](Tensor& a, TS b) -> Tensor& { return pe::name##_(a, b); }, number_input, numbers);
  PE_BIND_BINARY(eq, false, true) PE_BIND_BINARY(ne, false, true) PE_BIND_BINARY(lt, false, true)
  PE_BIND_BINARY(le, false, true) PE_BIND_BINARY(gt, false, true) PE_BIND_BINARY(ge, false, true)
  PE_BIND_BINARY(bitwise_and, true, true) PE_BIND_BINARY(bitwise_or, true, true)
  PE_BIND_BINARY(bitwise_xor, true, true) PE_BIND_BINARY(bitwise_left_shift, true, true)
  PE_BIND_BINARY(bitwise_right_shift, true, true)
  PE_BIND_BINARY(logical_and, false, false) PE_BIND_BINARY(logical_or, false, false)
  PE_BIND_BINARY(logical_xor, false, false)
#undef PE_BIND_BINARY
  def_binary(m, cls, "atan2", [](TS a, TS b) { return autograd::atan2(a, b); },
             [](Tensor& a, TS b) -> Tensor& { return autograd::atan2_(a, b); }, false, false);
  // no in-place forms in PyTorch
  for (auto [name, f] : {std::pair<const char*, BinaryFn>{"maximum", [](TS a, TS b) { return autograd::maximum(a, b); }},
                         {"minimum", [](TS a, TS b) { return autograd::minimum(a, b); }},
                         {"fmax", [](TS a, TS b) { return autograd::fmax(a, b); }},
                         {"fmin", [](TS a, TS b) { return autograd::fmin(a, b); }}})
    def_binary(m, cls, name, f, nullptr, false, false);

#define PE_BIND_OPERATOR(op, name, reflected) \
  def_operator(cls, op, [](TS a, TS b) { return pe::name(a, b); }, [](Tensor& a, TS b) -> Tensor& { return pe::name##_(a, b); }, reflected);
  PE_BIND_OPERATOR("eq", eq, false) PE_BIND_OPERATOR("ne", ne, false) PE_BIND_OPERATOR("lt", lt, false)
  PE_BIND_OPERATOR("le", le, false) PE_BIND_OPERATOR("gt", gt, false) PE_BIND_OPERATOR("ge", ge, false)
  PE_BIND_OPERATOR("and", bitwise_and, true) PE_BIND_OPERATOR("or", bitwise_or, true)
  PE_BIND_OPERATOR("xor", bitwise_xor, true) PE_BIND_OPERATOR("lshift", bitwise_left_shift, true)
  PE_BIND_OPERATOR("rshift", bitwise_right_shift, true)
#undef PE_BIND_OPERATOR
  // Defining __eq__ drops the inherited __hash__: tensors hash by identity, as in PyTorch.
  cls.attr("__hash__") = py::module_::import("builtins").attr("object").attr("__hash__");
}

void bind_ternary(py::module_& m, TensorClass& cls) {
  // where(condition, input, other, *, out=None) / where(condition) -> nonzero as a tuple
  auto where_py = [](const Tensor& cond, py::handle a, py::handle b) {
    if (cond.dtype() == DType::UInt8)
      PyErr_WarnEx(PyExc_UserWarning, "where received a uint8 condition tensor. This behavior is deprecated and will "
                   "be removed in a future version of PyTorch. Use a boolean condition instead.", 1);
    return autograd::where(cond, operand(a, "where", "input", 2, true), operand(b, "where", "other", 3, true));
  };
  m.def("where", [=](py::handle cond, py::handle input, py::handle other, py::handle out) -> py::object {
    Tensor c = tensor_arg(cond, "where", "condition", 1);
    if (input.is_none() && other.is_none()) {
      TensorList parts = nonzero_tuple(c);  // 0-d counts as 1-d, as nonzero(as_tuple=True)
      py::tuple t(parts.size());
      for (size_t d = 0; d < parts.size(); ++d) t[d] = py::cast(parts[d]);
      return std::move(t);
    }
    PE_CHECK_TYPE(!input.is_none() && !other.is_none(), "where() missing required argument 'other'");
    if (!out.is_none())
      autograd::check_out_no_grad({ptr(operand(input, "where", "input", 2, true)), ptr(operand(other, "where", "other", 3, true))});
    return with_out(out, where_py(c, input, other));
  }, py::arg("condition"), py::arg("input") = py::none(), py::arg("other") = py::none(), py::kw_only(),
     py::arg("out") = py::none());
  cls.def("where", [=](const Tensor& self, py::handle cond, py::handle other) {
    return where_py(tensor_arg(cond, "where", "condition", 1), py::cast(self), other);
  }, py::arg("condition"), py::arg("other"));

  // clamp / clip (min and/or max, numbers or tensors), clamp_min, clamp_max
  auto bounds = [](const char* fn, py::handle lo, py::handle hi) {
    return std::make_pair(optional_operand(lo, fn, "min", 2), optional_operand(hi, fn, "max", 3));
  };
  for (const char* name : {"clamp", "clip"}) {
    m.def(name, [=](py::handle a, py::handle lo, py::handle hi, py::handle out) {
      auto [mn, mx] = bounds(name, lo, hi);
      Tensor t = tensor_arg(a, name, "input", 1);
      check_out(out, {&t, ptr(mn), ptr(mx)});
      return with_out(out, autograd::clamp(t, mn, mx));
    }, py::arg("input"), py::arg("min") = py::none(), py::arg("max") = py::none(), py::kw_only(),
       py::arg("out") = py::none());
    cls.def(name, [=](const Tensor& a, py::handle lo, py::handle hi) {
      auto [mn, mx] = bounds(name, lo, hi);
      return autograd::clamp(a, mn, mx);
    }, py::arg("min") = py::none(), py::arg("max") = py::none());
    auto inplace = [=](Tensor& a, py::handle lo, py::handle hi) -> Tensor& {
      auto [mn, mx] = bounds(name, lo, hi);
      return autograd::clamp_(a, mn, mx);
    };
    std::string iname = std::string(name) + "_";
    cls.def(iname.c_str(), inplace, py::arg("min") = py::none(), py::arg("max") = py::none());
    m.def(iname.c_str(), [=](py::handle h, py::handle lo, py::handle hi) {
      Tensor a = tensor_arg(h, name, "input", 1);
      inplace(a, lo, hi);
      return py::reinterpret_borrow<py::object>(h);
    }, py::arg("input"), py::arg("min") = py::none(), py::arg("max") = py::none());
  }
  for (bool is_min : {true, false}) {
    const char* name = is_min ? "clamp_min" : "clamp_max";
    const char* arg = is_min ? "min" : "max";
    auto one = [=](py::handle b) { return operand(b, name, arg, 2, true); };
    auto apply = [=](const Tensor& a, py::handle b) {
      return is_min ? autograd::clamp_min(a, one(b)) : autograd::clamp_max(a, one(b));
    };
    m.def(name, [=](py::handle h, py::handle b, py::handle out) {
      Tensor a = tensor_arg(h, name, "input", 1);
      check_out(out, {&a, ptr(one(b))});
      return with_out(out, apply(a, b));
    }, py::arg("input"), py::arg(arg), py::kw_only(), py::arg("out") = py::none());
    cls.def(name, apply, py::arg(arg));
    auto inplace = [=](Tensor& a, py::handle b) -> Tensor& {
      return is_min ? autograd::clamp_min_(a, one(b)) : autograd::clamp_max_(a, one(b));
    };
    cls.def((std::string(name) + "_").c_str(), inplace, py::arg(arg));
    m.def((std::string(name) + "_").c_str(), [=](py::handle h, py::handle b) {
      Tensor a = tensor_arg(h, name, "input", 1);
      inplace(a, b);
      return py::reinterpret_borrow<py::object>(h);
    }, py::arg("input"), py::arg(arg));
  }

  // lerp(input, end, weight, *, out=None)
  m.def("lerp", [](py::handle a, py::handle end, py::handle w, py::handle out) {
    Tensor t = tensor_arg(a, "lerp", "input", 1), e = tensor_arg(end, "lerp", "end", 2);
    TensorOrScalar wt = operand(w, "lerp", "weight", 3, true);
    check_out(out, {&t, &e, ptr(wt)});
    return with_out(out, autograd::lerp(t, e, wt));
  }, py::arg("input"), py::arg("end"), py::arg("weight"), py::kw_only(), py::arg("out") = py::none());
  cls.def("lerp", [](const Tensor& a, py::handle end, py::handle w) {
    return autograd::lerp(a, tensor_arg(end, "lerp", "end", 1), operand(w, "lerp", "weight", 2, true));
  }, py::arg("end"), py::arg("weight"));
  cls.def("lerp_", [](Tensor& a, py::handle end, py::handle w) -> Tensor& {
    return autograd::lerp_(a, tensor_arg(end, "lerp_", "end", 1), operand(w, "lerp_", "weight", 2, true));
  }, py::arg("end"), py::arg("weight"));
}

void bind_aliases(py::module_& m, TensorClass& cls) {
  const std::pair<const char*, const char*> aliases[] = {
      {"arcsin", "asin"}, {"arccos", "acos"}, {"arctan", "atan"}, {"arcsinh", "asinh"}, {"arccosh", "acosh"},
      {"arctanh", "atanh"}, {"arctan2", "atan2"}, {"fix", "trunc"}, {"sgn", "sign"}, {"greater", "gt"},
      {"greater_equal", "ge"}, {"less", "lt"}, {"less_equal", "le"}, {"not_equal", "ne"}};
  for (auto [alias, name] : aliases) {
    m.attr(alias) = m.attr(name);
    cls.attr(alias) = cls.attr(name);
    std::string iname = std::string(name) + "_";
    if (py::hasattr(cls, iname.c_str())) cls.attr((std::string(alias) + "_").c_str()) = cls.attr(iname.c_str());
    if (py::hasattr(m, iname.c_str())) m.attr((std::string(alias) + "_").c_str()) = m.attr(iname.c_str());
  }
}

void bind_elementwise(py::module_& m, TensorClass& cls) {
  bind_unary(m, cls);
  bind_binary(m, cls);
  bind_ternary(m, cls);
  bind_aliases(m, cls);
}

}  // namespace

PE_PY_BINDINGS(bind_elementwise);

}  // namespace pe::python

// Python bindings of gather/scatter, the index_* family, take and the copying shape ops (cat,
// stack, flip, roll, repeat_interleave, diag_embed, narrow_copy): module functions with PyTorch's
// argument names and out=, plus the Tensor methods and in-place forms. Argument conversion only;
// differentiable ops call their autograd wrappers (autograd/ops_select.h), out= forms the plain op.
#include "autograd/ops_index.h"
#include "autograd/ops_select.h"
#include "ops/select.h"
#include "python/registry.h"
#include "python/select_args.h"

namespace pe::python {

namespace {

using TA = const TensorArg&;

std::string opt_str(py::handle h) { return h.is_none() ? std::string() : h.cast<std::string>(); }

std::optional<int64_t> opt_int(py::handle h) {
  if (h.is_none()) return std::nullopt;
  return index_to_int64(h);
}

// scatter(dim, index, src) / scatter(dim, index, value), src= or value= by keyword, reduce=.
py::handle src_or_value(py::handle src, py::handle value) {
  PE_CHECK_TYPE(src.is_none() != value.is_none(), "scatter() expects exactly one of 'src' (a Tensor) or 'value' (a number)");
  return src.is_none() ? value : src;
}

Tensor scatter_py(const Tensor& t, int64_t dim, const Tensor& index, py::handle sv, py::handle reduce, bool inplace) {
  std::string r = opt_str(reduce);
  Tensor self = t;
  if (is_tensor(sv)) {
    Tensor src = unwrap(sv);
    return inplace ? autograd::scatter_(self, dim, index, src, r) : autograd::scatter(t, dim, index, src, r);
  }
  Scalar s = to_scalar(sv);
  return inplace ? autograd::scatter_(self, dim, index, s, r) : autograd::scatter(t, dim, index, s, r);
}

// scatter with out=: PyTorch's autograd check, then the plain op.
Tensor scatter_plain(const Tensor& t, int64_t dim, const Tensor& index, py::handle sv, py::handle reduce) {
  std::string r = opt_str(reduce);
  if (is_tensor(sv)) {
    Tensor src = unwrap(sv);
    autograd::check_out_no_grad({&t, &src});
    return scatter(t, dim, index, src, r);
  }
  autograd::check_out_no_grad({&t});
  return scatter(t, dim, index, to_scalar(sv), r);
}

TensorList tensor_list(py::handle seq, const char* fn) {
  PE_CHECK_TYPE(!is_tensor(seq) && PySequence_Check(seq.ptr()), fn, "(): argument 'tensors' (position 1) must be tuple of "
                "Tensors, not ", std::string(py::str(py::type::handle_of(seq).attr("__name__"))));
  TensorList out;
  py::sequence s = py::reinterpret_borrow<py::sequence>(seq);
  for (size_t i = 0; i < s.size(); ++i) {
    py::object e = s[i];
    PE_CHECK_TYPE(is_tensor(e), "expected Tensor as element ", i, " in argument 0, but got ",
                  std::string(py::str(py::type::handle_of(e).attr("__name__"))));
    out.push_back(unwrap(e));
  }
  return out;
}

// out= with any input that requires grad: PyTorch's autograd error.
void check_out_no_grad_list(const TensorList& ts) {
  if (!autograd::compute_requires_grad(ts)) return;
  for (const Tensor& t : ts) autograd::check_out_no_grad({&t});
}

DimVector dims_of(py::handle h, const char* fn, const char* arg) { return to_dimvector(h, fn, arg); }

// sparse_grad=True asks for a sparse gradient; pyengine has no sparse tensors, so it is refused.
void check_no_sparse_grad(bool sparse_grad) {
  PE_CHECK_T(NotImplementedError, !sparse_grad,
             "gather(sparse_grad=True): pyengine has no sparse tensors, so no sparse gradients; use sparse_grad=False");
}

void bind_select_index(py::module_& m, TensorClass& cls) {
  // ---- gather / scatter ----
  m.def("gather", [](TA t, int64_t dim, TA index, bool sparse_grad, py::object out) {
    check_no_sparse_grad(sparse_grad);
    Tensor r = grad_or_out({&t.t}, out, [&] { return autograd::gather(t, dim, index); },
                           [&] { return gather(t, dim, index); });
    check_out_overlap(out, r.sizes(), {&t.t, &index.t});
    return tensor_out(r, out, "gather");
  }, py::arg("input"), py::arg("dim"), py::arg("index"), py::kw_only(), py::arg("sparse_grad") = false,
     py::arg("out") = py::none());
  cls.def("gather", [](TA t, int64_t dim, TA index, bool sparse_grad) {
    check_no_sparse_grad(sparse_grad);
    return autograd::gather(t, dim, index);
  }, py::arg("dim"),
          py::arg("index"), py::kw_only(), py::arg("sparse_grad") = false);
  m.def("scatter", [](TA t, int64_t dim, TA index, py::object src, py::object value, py::object reduce, py::object out) {
    py::handle sv = src_or_value(src, value);
    if (!out.is_none()) return tensor_out(scatter_plain(t, dim, index, sv, reduce), out, "scatter");
    return tensor_out(scatter_py(t, dim, index, sv, reduce, false), out, "scatter");
  }, py::arg("input"), py::arg("dim"), py::arg("index"), py::arg("src") = py::none(), py::kw_only(),
     py::arg("value") = py::none(), py::arg("reduce") = py::none(), py::arg("out") = py::none());
  cls.def("scatter", [](TA t, int64_t dim, TA index, py::object src, py::object value, py::object reduce) {
    return scatter_py(t, dim, index, src_or_value(src, value), reduce, false);
  }, py::arg("dim"), py::arg("index"), py::arg("src") = py::none(), py::kw_only(), py::arg("value") = py::none(),
     py::arg("reduce") = py::none());
  cls.def("scatter_", [](TA t, int64_t dim, TA index, py::object src, py::object value, py::object reduce) {
    return scatter_py(t, dim, index, src_or_value(src, value), reduce, true);
  }, py::arg("dim"), py::arg("index"), py::arg("src") = py::none(), py::kw_only(), py::arg("value") = py::none(),
     py::arg("reduce") = py::none());
  m.def("scatter_add", [](TA t, int64_t dim, TA index, TA src, py::object out) {
    return tensor_out(grad_or_out({&t.t, &src.t}, out, [&] { return autograd::scatter_add(t, dim, index, src); },
                                  [&] { return scatter_add(t, dim, index, src); }), out, "scatter_add");
  }, py::arg("input"), py::arg("dim"), py::arg("index"), py::arg("src"), py::kw_only(), py::arg("out") = py::none());
  cls.def("scatter_add", [](TA t, int64_t dim, TA index, TA src) { return autograd::scatter_add(t, dim, index, src); },
          py::arg("dim"), py::arg("index"), py::arg("src"));
  cls.def("scatter_add_", [](Tensor& t, int64_t dim, TA index, TA src) -> Tensor& {
    return autograd::scatter_add_(t, dim, index, src);
  }, py::arg("dim"), py::arg("index"), py::arg("src"));

  m.def("scatter_reduce", [](TA t, int64_t dim, TA index, TA src, const std::string& reduce, bool include_self,
                             py::object out) {
    return tensor_out(grad_or_out({&t.t, &src.t}, out,
                                  [&] { return autograd::scatter_reduce(t, dim, index, src, reduce, include_self); },
                                  [&] { return scatter_reduce(t, dim, index, src, reduce, include_self); }),
                      out, "scatter_reduce");
  }, py::arg("input"), py::arg("dim"), py::arg("index"), py::arg("src"), py::arg("reduce"), py::kw_only(),
     py::arg("include_self") = true, py::arg("out") = py::none());
  cls.def("scatter_reduce", [](TA t, int64_t dim, TA index, TA src, const std::string& reduce, bool include_self) {
    return autograd::scatter_reduce(t, dim, index, src, reduce, include_self);
  }, py::arg("dim"), py::arg("index"), py::arg("src"), py::arg("reduce"), py::kw_only(), py::arg("include_self") = true);
  cls.def("scatter_reduce_", [](Tensor& t, int64_t dim, TA index, TA src, const std::string& reduce,
                                bool include_self) -> Tensor& {
    return autograd::scatter_reduce_(t, dim, index, src, reduce, include_self);
  }, py::arg("dim"), py::arg("index"), py::arg("src"), py::arg("reduce"), py::kw_only(), py::arg("include_self") = true);

  // ---- index_* ----
  m.def("index_select", [](TA t, int64_t dim, TA index, py::object out) {
    Tensor r = grad_or_out({&t.t}, out, [&] { return autograd::index_select(t, dim, index); },
                           [&] { return index_select(t, dim, index); });
    check_out_overlap(out, r.sizes(), {&t.t, &index.t});
    PE_CHECK(out.is_none() || !is_tensor(out) || unwrap(out).dtype() == r.dtype(),
             "index_select(): self and result must have the same scalar type");
    return tensor_out(r, out, "index_select");
  }, py::arg("input"), py::arg("dim"), py::arg("index"), py::kw_only(), py::arg("out") = py::none());
  cls.def("index_select", [](TA t, int64_t dim, TA index) { return autograd::index_select(t, dim, index); },
          py::arg("dim"), py::arg("index"));
  m.def("index_add", [](TA t, int64_t dim, TA index, TA source, const Scalar& alpha, py::object out) {
    return tensor_out(grad_or_out({&t.t, &source.t}, out,
                                  [&] { return autograd::index_add(t, dim, index, source, alpha); },
                                  [&] { return index_add(t, dim, index, source, alpha); }), out, "index_add");
  }, py::arg("input"), py::arg("dim"), py::arg("index"), py::arg("source"), py::kw_only(),
     py::arg("alpha") = Scalar(int64_t(1)), py::arg("out") = py::none());
  cls.def("index_add", [](TA t, int64_t dim, TA index, TA source, const Scalar& alpha) {
    return autograd::index_add(t, dim, index, source, alpha);
  }, py::arg("dim"), py::arg("index"), py::arg("source"), py::kw_only(), py::arg("alpha") = Scalar(int64_t(1)));
  cls.def("index_add_", [](Tensor& t, int64_t dim, TA index, TA source, const Scalar& alpha) -> Tensor& {
    return autograd::index_add_(t, dim, index, source, alpha);
  }, py::arg("dim"), py::arg("index"), py::arg("source"), py::kw_only(), py::arg("alpha") = Scalar(int64_t(1)));
  auto index_fill_py = [](TA t, int64_t dim, TA index, py::handle value) {
    if (is_tensor(value)) return autograd::index_fill(t, dim, index, unwrap(value));
    return autograd::index_fill(t, dim, index, to_scalar(value));
  };
  m.def("index_fill", index_fill_py, py::arg("input"), py::arg("dim"), py::arg("index"), py::arg("value"));
  cls.def("index_fill", index_fill_py, py::arg("dim"), py::arg("index"), py::arg("value"));
  cls.def("index_fill_", [](Tensor& t, int64_t dim, TA index, py::handle value) -> Tensor& {
    if (is_tensor(value)) return autograd::index_fill_(t, dim, index, unwrap(value));
    return autograd::index_fill_(t, dim, index, to_scalar(value));
  }, py::arg("dim"), py::arg("index"), py::arg("value"));
  m.def("index_copy", [](TA t, int64_t dim, TA index, TA source, py::object out) {
    return tensor_out(grad_or_out({&t.t, &source.t}, out,
                                  [&] { return autograd::index_copy(t, dim, index, source); },
                                  [&] { return index_copy(t, dim, index, source); }), out, "index_copy");
  }, py::arg("input"), py::arg("dim"), py::arg("index"), py::arg("source"), py::kw_only(), py::arg("out") = py::none());
  cls.def("index_copy", [](TA t, int64_t dim, TA index, TA source) {
    return autograd::index_copy(t, dim, index, source);
  }, py::arg("dim"), py::arg("index"), py::arg("source"));
  cls.def("index_copy_", [](Tensor& t, int64_t dim, TA index, TA source) -> Tensor& {
    return autograd::index_copy_(t, dim, index, source);
  }, py::arg("dim"), py::arg("index"), py::arg("source"));
  m.def("take", [](TA t, TA index, py::object out) {
    Tensor r = grad_or_out({&t.t}, out, [&] { return autograd::take(t, index); }, [&] { return take(t, index); });
    check_out_overlap(out, r.sizes(), {&t.t, &index.t});
    return tensor_out(r, out, "take");
  },
        py::arg("input"), py::arg("index"), py::kw_only(), py::arg("out") = py::none());
  cls.def("take", [](TA t, TA index) { return autograd::take(t, index); }, py::arg("index"));
  m.def("take_along_dim", [](TA t, TA idx, py::object dim, py::object out) {
    return tensor_out(grad_or_out({&t.t}, out, [&] { return autograd::take_along_dim(t, idx, opt_int(dim)); },
                                  [&] { return take_along_dim(t, idx, opt_int(dim)); }), out, "take_along_dim");
  }, py::arg("input"), py::arg("indices"), py::arg("dim") = py::none(), py::kw_only(), py::arg("out") = py::none());
  cls.def("take_along_dim", [](TA t, TA idx, py::object dim) {
    return autograd::take_along_dim(t, idx, opt_int(dim));
  }, py::arg("indices"), py::arg("dim") = py::none());

  // ---- index_put (advanced-index assignment, as x[indices] = values) ----
  auto put_args = [](TA t, py::handle indices, TA values) {
    PE_CHECK_TYPE(!is_tensor(indices) && PySequence_Check(indices.ptr()), "index_put_(): argument 'indices' "
                  "(position 1) must be tuple of Tensors, not ", std::string(py::str(py::type::handle_of(indices)
                  .attr("__name__"))));
    PE_CHECK(t.t.dtype() == values.t.dtype(), "Index put requires the source and destination dtypes match, got ",
             scalar_type_name(t.t.dtype()), " for the destination and ", scalar_type_name(values.t.dtype()),
             " for the source.");
    return tensor_list(indices, "index_put_");
  };
  m.def("index_put", [put_args](TA t, py::handle indices, TA values, bool accumulate) {
    return autograd::index_put(t, put_args(t, indices, values), values, accumulate);
  }, py::arg("input"), py::arg("indices"), py::arg("values"), py::arg("accumulate") = false);
  cls.def("index_put", [put_args](TA t, py::handle indices, TA values, bool accumulate) {
    return autograd::index_put(t, put_args(t, indices, values), values, accumulate);
  }, py::arg("indices"), py::arg("values"), py::arg("accumulate") = false);
  cls.def("index_put_", [put_args](Tensor& t, py::handle indices, TA values, bool accumulate) -> Tensor& {
    return autograd::index_put_(t, put_args(TensorArg{t}, indices, values), values, accumulate);
  }, py::arg("indices"), py::arg("values"), py::arg("accumulate") = false);

  // ---- cat / stack (the Python layer adds the concat/concatenate aliases and axis=) ----
  m.def("_cat", [](py::handle tensors, int64_t dim, py::object out) -> py::object {
    TensorList ts = tensor_list(tensors, "cat");
    if (out.is_none()) return py::cast(autograd::cat(ts, dim));
    PE_CHECK_TYPE(is_tensor(out), "cat(): argument 'out' must be Tensor");
    check_out_no_grad_list(ts);
    Tensor o = unwrap(out);
    return py::cast(cat_out(o, ts, dim));
  }, py::arg("tensors"), py::arg("dim") = 0, py::arg("out") = py::none());
  m.def("stack", [](py::handle tensors, int64_t dim, py::object out) {
    TensorList ts = tensor_list(tensors, "stack");
    if (out.is_none()) return py::cast(autograd::stack(ts, dim));
    check_out_no_grad_list(ts);
    return tensor_out(stack(ts, dim), out, "stack", OutDtype::CatCastable);
  }, py::arg("tensors"), py::arg("dim") = 0, py::kw_only(), py::arg("out") = py::none());

  // ---- flip / roll ----
  m.def("flip", [](TA t, py::handle dims) {
    PE_CHECK_TYPE(!PyLong_Check(dims.ptr()), "flip(): argument 'dims' (position 2) must be tuple of ints, not int");
    return autograd::flip(t, dims_of(dims, "flip", "dims"));
  }, py::arg("input"), py::arg("dims"));
  cls.def("flip", [](TA t, py::args dims, py::kwargs kw) {
    // Tensor.flip(0, 1), Tensor.flip((0, 1)) or Tensor.flip(dims=(0, 1)), as PyTorch.
    if (kw.contains("dims")) {
      PE_CHECK_TYPE(dims.empty() && kw.size() == 1, "flip() received an invalid combination of arguments");
      return autograd::flip(t, dims_of(kw["dims"], "flip", "dims"));
    }
    PE_CHECK_TYPE(kw.empty(), "flip() got an unexpected keyword argument '", py::str(kw.begin()->first).cast<std::string>(),
                  "'");
    return autograd::flip(t, parse_sizes(dims, "flip"));
  });
  auto fliplr = [](TA t) {
    PE_CHECK(t.t.dim() >= 2, "Input must be >= 2-d.");
    return autograd::flip(t, {1});
  };
  auto flipud = [](TA t) {
    PE_CHECK(t.t.dim() >= 1, "Input must be >= 1-d.");
    return autograd::flip(t, {0});
  };
  m.def("fliplr", fliplr, py::arg("input"));
  cls.def("fliplr", fliplr);
  m.def("flipud", flipud, py::arg("input"));
  cls.def("flipud", flipud);
  auto roll_py = [](TA t, py::handle shifts, py::handle dims) {
    DimVector d = dims.is_none() ? DimVector{} : dims_of(dims, "roll", "dims");
    return autograd::roll(t, dims_of(shifts, "roll", "shifts"), d);
  };
  m.def("roll", roll_py, py::arg("input"), py::arg("shifts"), py::arg("dims") = py::none());
  cls.def("roll", roll_py, py::arg("shifts"), py::arg("dims") = py::none());

  // ---- repeat_interleave ----
  auto ri = [](TA t, py::handle repeats, py::handle dim, py::handle output_size) {
    if (is_tensor(repeats)) return autograd::repeat_interleave(t, unwrap(repeats), opt_int(dim), opt_int(output_size));
    return autograd::repeat_interleave(t, index_to_int64(repeats), opt_int(dim), opt_int(output_size));
  };
  m.def("repeat_interleave", [ri](TA t, py::object repeats, py::object dim, py::object output_size) {
    if (repeats.is_none() && dim.is_none()) return repeat_interleave(t, opt_int(output_size));  // indices form
    PE_CHECK_TYPE(!repeats.is_none(), "repeat_interleave() missing required argument 'repeats'");
    return ri(t, repeats, dim, output_size);
  }, py::arg("input"), py::arg("repeats") = py::none(), py::arg("dim") = py::none(), py::kw_only(),
     py::arg("output_size") = py::none());
  cls.def("repeat_interleave", ri, py::arg("repeats"), py::arg("dim") = py::none(), py::kw_only(),
          py::arg("output_size") = py::none());

  // ---- diag_embed / narrow_copy ----
  auto de = [](TA t, int64_t offset, int64_t d1, int64_t d2) { return autograd::diag_embed(t, offset, d1, d2); };
  m.def("diag_embed", de, py::arg("input"), py::arg("offset") = 0, py::arg("dim1") = -2, py::arg("dim2") = -1);
  cls.def("diag_embed", de, py::arg("offset") = 0, py::arg("dim1") = -2, py::arg("dim2") = -1);
  m.def("narrow_copy", [](TA t, int64_t dim, int64_t start, int64_t length, py::object out) {
    return tensor_out(grad_or_out({&t.t}, out, [&] { return autograd::narrow_copy(t, dim, start, length); },
                                  [&] { return narrow_copy(t, dim, start, length); }), out, "narrow_copy");
  }, py::arg("input"), py::arg("dim"), py::arg("start"), py::arg("length"), py::kw_only(), py::arg("out") = py::none());
  cls.def("narrow_copy", [](TA t, int64_t dim, int64_t start, int64_t length) {
    return autograd::narrow_copy(t, dim, start, length);
  }, py::arg("dim"), py::arg("start"), py::arg("length"));
}

}  // namespace

PE_PY_BINDINGS(bind_select_index);

}  // namespace pe::python

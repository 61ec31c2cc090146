// Python bindings of the sorting, comparison and mask ops (ops/select.h): module functions with
// PyTorch's argument names, defaults and out=, and the matching Tensor methods. Argument
// conversion only; gather/scatter/index and the shape ops are in select_bindings_index.cpp.
// Differentiable ops call their autograd wrappers (autograd/ops_select.h); out= forms refuse inputs
// that require grad and run the plain op.
#include "autograd/ops_select.h"
#include "ops/select.h"
#include "python/registry.h"
#include "python/return_types.h"
#include "python/select_args.h"

namespace pe::python {

namespace {

using VI = ValuesIndices;

// out=(values, indices): PyTorch checks each dtype, resizes and copies.
py::object vi_out(const char* name, const VI& r, py::handle out) {
  if (out.is_none()) return values_indices(name, r.values, r.indices);
  PE_CHECK_TYPE(py::isinstance<py::sequence>(out) && py::len(out) == 2 && is_tensor(out[py::int_(0)]) &&
                    is_tensor(out[py::int_(1)]),
                name, "(): argument 'out' must be tuple of Tensors");
  Tensor v = unwrap(out[py::int_(0)]), i = unwrap(out[py::int_(1)]);
  write_out_checked(v, r.values, OutDtype::Same, name);
  write_out_checked(i, r.indices, OutDtype::Same, name);
  return values_indices(std::string(name) + "_out", v, i);
}

// stable= of sort: the default is Ellipsis, so that an explicit stable=None is told apart (PyTorch
// then picks the sort.stable overload, whose node is SortBackward1).
bool opt_bool(py::handle h) { return !h.is_none() && !h.is(py::ellipsis()) && h.cast<bool>(); }
bool given(py::handle h) { return !h.is(py::ellipsis()); }

// Number or 0-d tensor value for masked_fill.
template <class FS, class FT>
Tensor scalar_or_tensor(py::handle value, FS fs, FT ft) {
  if (is_tensor(value)) return ft(unwrap(value));
  return fs(to_scalar(value));
}

void bind_select(py::module_& m, TensorClass& cls) {
  // ---- sorting ----
  m.def("sort", [](const TensorArg& t, int64_t dim, bool desc, py::object stable, py::object out) {
    return vi_out("sort", grad_or_out({&t.t}, out,
                                      [&] { return autograd::sort(t, dim, desc, opt_bool(stable), given(stable)); },
                                      [&] { return sort(t, dim, desc, opt_bool(stable)); }), out);
  }, py::arg("input"), py::arg("dim") = -1, py::arg("descending") = false, py::kw_only(),
     py::arg("stable") = py::ellipsis(), py::arg("out") = py::none());
  cls.def("sort", [](const TensorArg& t, int64_t dim, bool desc, py::object stable) {
    return vi_out("sort", autograd::sort(t, dim, desc, opt_bool(stable), given(stable)), py::none());
  }, py::arg("dim") = -1, py::arg("descending") = false, py::kw_only(), py::arg("stable") = py::ellipsis());
  m.def("argsort", [](const TensorArg& t, int64_t dim, bool desc, bool stable) { return argsort(t, dim, desc, stable); },
        py::arg("input"), py::arg("dim") = -1, py::arg("descending") = false, py::kw_only(), py::arg("stable") = false);
  cls.def("argsort", [](const TensorArg& t, int64_t dim, bool desc, bool stable) { return argsort(t, dim, desc, stable); },
          py::arg("dim") = -1, py::arg("descending") = false, py::kw_only(), py::arg("stable") = false);
  m.def("msort", [](const TensorArg& t, py::object out) {
    return tensor_out(grad_or_out({&t.t}, out, [&] { return autograd::msort(t); },
                                  [&] { return sort(t, 0, false, false).values; }), out, "msort");
  }, py::arg("input"), py::kw_only(), py::arg("out") = py::none());
  cls.def("msort", [](const TensorArg& t) { return autograd::msort(t); });
  m.def("topk", [](const TensorArg& t, int64_t k, int64_t dim, bool largest, bool sorted, py::object out) {
    return vi_out("topk", grad_or_out({&t.t}, out, [&] { return autograd::topk(t, k, dim, largest, sorted); },
                                      [&] { return topk(t, k, dim, largest, sorted); }), out);
  }, py::arg("input"), py::arg("k"), py::arg("dim") = -1, py::arg("largest") = true, py::arg("sorted") = true,
     py::kw_only(), py::arg("out") = py::none());
  cls.def("topk", [](const TensorArg& t, int64_t k, int64_t dim, bool largest, bool sorted) {
    return vi_out("topk", autograd::topk(t, k, dim, largest, sorted), py::none());
  }, py::arg("k"), py::arg("dim") = -1, py::arg("largest") = true, py::arg("sorted") = true);
  m.def("kthvalue", [](const TensorArg& t, int64_t k, int64_t dim, bool keepdim, py::object out) {
    auto r = grad_or_out({&t.t}, out, [&] { return autograd::kthvalue(t, k, dim, keepdim); },
                         [&] { return kthvalue(t, k, dim, keepdim); });
    if (py::isinstance<py::tuple>(out) || py::isinstance<py::list>(out))  // (values, indices): none over the input
      for (py::handle o : out) check_out_overlap(o, r.values.sizes(), {&t.t});
    return vi_out("kthvalue", r, out);
  }, py::arg("input"), py::arg("k"), py::arg("dim") = -1, py::arg("keepdim") = false, py::kw_only(),
     py::arg("out") = py::none());
  cls.def("kthvalue", [](const TensorArg& t, int64_t k, int64_t dim, bool keepdim) {
    return vi_out("kthvalue", autograd::kthvalue(t, k, dim, keepdim), py::none());
  }, py::arg("k"), py::arg("dim") = -1, py::arg("keepdim") = false);

  // ---- comparisons ----
  m.def("equal", [](const TensorArg& a, const TensorArg& b) { return equal(a, b); }, py::arg("input"), py::arg("other"));
  cls.def("equal", [](const TensorArg& a, const TensorArg& b) { return equal(a, b); }, py::arg("other"));
  m.def("isclose", [](const TensorArg& a, const TensorArg& b, double rtol, double atol, bool nan) {
    return isclose(a, b, rtol, atol, nan);
  }, py::arg("input"), py::arg("other"), py::arg("rtol") = 1e-05, py::arg("atol") = 1e-08, py::arg("equal_nan") = false);
  cls.def("isclose", [](const TensorArg& a, const TensorArg& b, double rtol, double atol, bool nan) {
    return isclose(a, b, rtol, atol, nan);
  }, py::arg("other"), py::arg("rtol") = 1e-05, py::arg("atol") = 1e-08, py::arg("equal_nan") = false);
  m.def("allclose", [](const TensorArg& a, const TensorArg& b, double rtol, double atol, bool nan) {
    return allclose(a, b, rtol, atol, nan);
  }, py::arg("input"), py::arg("other"), py::arg("rtol") = 1e-05, py::arg("atol") = 1e-08, py::arg("equal_nan") = false);
  cls.def("allclose", [](const TensorArg& a, const TensorArg& b, double rtol, double atol, bool nan) {
    return allclose(a, b, rtol, atol, nan);
  }, py::arg("other"), py::arg("rtol") = 1e-05, py::arg("atol") = 1e-08, py::arg("equal_nan") = false);

  // ---- masks ----
  m.def("masked_select", [](const TensorArg& t, const TensorArg& mask, py::object out) {
    Tensor r = grad_or_out({&t.t}, out, [&] { return autograd::masked_select(t, mask); },
                           [&] { return masked_select(t, mask); });
    check_out_overlap(out, r.sizes(), {&t.t, &mask.t});
    return tensor_out(r, out, "masked_select");
  }, py::arg("input"), py::arg("mask"), py::kw_only(), py::arg("out") = py::none());
  cls.def("masked_select", [](const TensorArg& t, const TensorArg& mask) { return autograd::masked_select(t, mask); },
          py::arg("mask"));
  auto fill = [](const TensorArg& t, const TensorArg& mask, py::handle value) {
    return scalar_or_tensor(value, [&](const Scalar& s) { return autograd::masked_fill(t, mask, s); },
                            [&](const Tensor& v) { return autograd::masked_fill(t, mask, v); });
  };
  m.def("masked_fill", fill, py::arg("input"), py::arg("mask"), py::arg("value"));
  cls.def("masked_fill", fill, py::arg("mask"), py::arg("value"));
  cls.def("masked_fill_", [](Tensor& t, const TensorArg& mask, py::handle value) -> Tensor& {
    if (is_tensor(value)) return autograd::masked_fill_(t, mask, unwrap(value));
    return autograd::masked_fill_(t, mask, to_scalar(value));
  }, py::arg("mask"), py::arg("value"));

  auto nonzero_py = [](const TensorArg& t, bool as_tuple) -> py::object {
    if (!as_tuple) return py::cast(nonzero(t));
    TensorList parts = nonzero_tuple(t);
    py::tuple r(parts.size());
    for (size_t i = 0; i < parts.size(); ++i) r[i] = py::cast(parts[i]);
    return std::move(r);
  };
  m.def("nonzero", [nonzero_py](const TensorArg& t, py::object out, bool as_tuple) -> py::object {
    if (as_tuple || out.is_none()) return nonzero_py(t, as_tuple);
    PE_CHECK(is_tensor(out) && unwrap(out).dtype() == DType::Int64,
             "nonzero: Expected out tensor to have scalar type Long but got scalar type",
             is_tensor(out) ? scalar_type_name(unwrap(out).dtype()) : "?");
    return tensor_out(nonzero(t), out, "nonzero");
  }, py::arg("input"), py::kw_only(), py::arg("out") = py::none(), py::arg("as_tuple") = false);
  cls.def("nonzero", nonzero_py, py::kw_only(), py::arg("as_tuple") = false);
  m.def("argwhere", [](const TensorArg& t) { return nonzero(t); }, py::arg("input"));
  cls.def("argwhere", [](const TensorArg& t) { return nonzero(t); });
  m.def("_nonzero_tuple", nonzero_py, py::arg("input"), py::arg("as_tuple") = true);
}

}  // namespace

PE_PY_BINDINGS(bind_select);

}  // namespace pe::python

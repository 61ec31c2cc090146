// The Tensor class: geometry, conversion and view methods bound straight to the op layer.
// Python-only conveniences (repr, tolist formatting, legacy type names) are attached to the same
// class in pyengine/_tensor.py.
#include "autograd/ops_basic.h"
#include "autograd/ops_select.h"
#include "ops/view_dtype.h"
#include "python/common.h"
#include "python/registry.h"

namespace pe::python {
namespace {
// PyTorch's warning when a copy drops imaginary parts (Note [Complex dtypes]).
void warn_complex_to_real(DType from, DType to) {
  if (is_complex(from) && !is_complex(to) &&
      PyErr_WarnEx(PyExc_UserWarning, "Casting complex values to real discards the imaginary part", 1) < 0)
    throw py::error_already_set();
}
}  // namespace


namespace {
py::handle g_tensor_class;
PyTypeObject* g_tensor_type = nullptr;

// The in-place geometry ops (t_, transpose_, squeeze_, unsqueeze_) are not recorded by the autograd:
// refused on a tensor that requires grad rather than giving wrong gradients.
void refuse_geometry_inplace(const Tensor& t, const char* name) {
  PE_CHECK_T(NotImplementedError, !(autograd::GradMode::is_enabled() && autograd::requires_grad(t)), name,
             "() on a tensor that requires grad is not supported by pyengine's autograd; use the out-of-place ",
             std::string(name).substr(0, std::string(name).size() - 1), "() instead");
}

// PyTorch returns tuples of views from split/chunk/unbind.
py::tuple as_tuple(const TensorList& ts) {
  py::tuple out(ts.size());
  for (size_t i = 0; i < ts.size(); ++i) out[i] = py::cast(ts[i]);
  return out;
}

DimVector dims_arg(py::handle h, const char* fn) { return to_dimvector(h, fn, "dim"); }

}  // namespace

py::handle tensor_class() { return g_tensor_class; }
bool is_tensor(py::handle h) { return g_tensor_type && PyObject_TypeCheck(h.ptr(), g_tensor_type); }
Tensor unwrap(py::handle h) {
  auto* inst = reinterpret_cast<py::detail::instance*>(h.ptr());
  auto vh = inst->get_value_and_holder(py::detail::get_type_info(typeid(TensorImpl)));
  PE_CHECK(vh.holder_constructed(), "Tensor object is not initialized (did a subclass skip Tensor.__init__?)");
  return Tensor(vh.holder<TensorHolder>());
}

void bind_tensor(py::module_& m) {
  py::class_<TensorImpl, TensorHolder> cls(m, "Tensor", py::dynamic_attr());
  g_tensor_class = cls;
  g_tensor_type = reinterpret_cast<PyTypeObject*>(cls.ptr());

  // Tensor(...) is parsed in Python (pyengine/_tensor.py: _legacy_new); the factory adopts its result.
  // Tensor.__init__(obj, _alias_of=t) makes obj (e.g. an nn.Parameter) a detached alias of t.
  cls.def(py::init([](py::args args, py::kwargs kw) {
    if (kw.contains("_alias_of")) return alias(unwrap(kw["_alias_of"]), false).impl_ptr();
    py::object made = py::module_::import("pyengine._tensor").attr("_legacy_new")(*args, **kw);
    Tensor t = unwrap(made);
    return alias(t, true).impl_ptr();
  }));

  // ---- geometry ----
  cls.def("size", [](const Tensor& t, py::object dim) -> py::object {
        if (dim.is_none()) return make_size(t.sizes());
        return py::int_(t.size(dim.cast<int64_t>()));
      }, py::arg("dim") = py::none())
      .def_property_readonly("shape", [](const Tensor& t) { return make_size(t.sizes()); })
      .def("dim", [](const Tensor& t) { return t.dim(); })
      .def("ndimension", [](const Tensor& t) { return t.dim(); })
      .def_property_readonly("ndim", [](const Tensor& t) { return t.dim(); })
      .def("numel", [](const Tensor& t) { return t.numel(); })
      .def("nelement", [](const Tensor& t) { return t.numel(); })
      .def("__len__", [](const Tensor& t) {
        if (t.dim() == 0) throw TypeError("len() of a 0-d tensor");
        return t.sizes()[0];
      })
      .def("stride", [](const Tensor& t, py::object dim) -> py::object {
        if (dim.is_none()) return to_tuple(t.strides());
        return py::int_(t.stride(dim.cast<int64_t>()));
      }, py::arg("dim") = py::none())
      .def("storage_offset", [](const Tensor& t) { return t.storage_offset(); })
      .def("data_ptr", [](const Tensor& t) { return reinterpret_cast<uintptr_t>(t.raw_data()); })
      .def("is_contiguous", [](const Tensor& t, py::object mf) {
        return is_contiguous(t, to_memory_format(mf, "is_contiguous", MemoryFormat::Contiguous));
      },
           py::arg("memory_format") = py::none())
      .def("element_size", [](const Tensor& t) { return t->itemsize(); })
      .def_property_readonly("itemsize", [](const Tensor& t) { return t->itemsize(); })
      .def_property_readonly("nbytes", [](const Tensor& t) { return t.numel() * t->itemsize(); })
      .def_property_readonly("dtype", [](const Tensor& t) { return t.dtype(); })
      .def_property_readonly("device", [](const Tensor& t) { return t.device(); })
      .def_property_readonly("is_cuda", [](const Tensor& t) { return t.device().is_cuda(); })
      .def_property_readonly("is_cpu", [](const Tensor& t) { return t.device().is_cpu(); })
      .def_property_readonly("is_meta", [](const Tensor& t) { return t.device().is_meta(); })
      .def("get_device", [](const Tensor& t) { return t.device().is_cpu() ? -1 : (int)t.device().index; })
      .def("is_floating_point", [](const Tensor& t) { return is_floating(t.dtype()); })
      .def("is_complex", [](const Tensor& t) { return is_complex(t.dtype()); })
      .def("_version_", [](const Tensor& t) { return t->version(); })
      .def_property_readonly("_version", [](const Tensor& t) { return t->version(); })
      .def("is_inference", [](const Tensor& t) { return t->is_inference(); })
      .def("_storage_nbytes", [](const Tensor& t) { return t->storage()->nbytes(); })
      .def("_storage_ptr", [](const Tensor& t) { return reinterpret_cast<uintptr_t>(t->storage()->data()); })
      .def("_is_view_of", [](const Tensor& a, const Tensor& b) { return a->storage() == b->storage(); });

  // ---- conversion ----
  cls.def("item", [](const Tensor& t) { return item(t); })
      .def("__int__", [](const Tensor& t) { return item(t).to_int64(); })
      .def("__float__", [](const Tensor& t) { return item(t).to_double(); })
      .def("__bool__", [](const Tensor& t) {
        PE_CHECK(t.numel() == 1, "Boolean value of Tensor with more than one value is ambiguous");
        return item(t).to_bool();
      })
      .def("__index__", [](const Tensor& t) {
        PE_CHECK_TYPE(t.numel() == 1 && is_integral(t.dtype(), true),
                      "only integer tensors of a single element can be converted to an index");
        return item(t).to_int64();
      })
      .def("clone", [](const Tensor& t, py::object mf) {
        return autograd::clone(t, to_memory_format(mf, "clone", MemoryFormat::Preserve));
      }, py::kw_only(), py::arg("memory_format") = py::none())
      .def("contiguous", [](const Tensor& t, py::object mf) {
        return autograd::contiguous(t, to_memory_format(mf, "contiguous", MemoryFormat::Contiguous));
      }, py::arg("memory_format") = py::none())
      .def("copy_", [](Tensor& t, const Tensor& src, bool) {
        warn_complex_to_real(src.dtype(), t.dtype());
        return autograd::copy_(t, src);
      }, py::arg("src"),
           py::arg("non_blocking") = false)
      .def("fill_", [](Tensor& t, py::handle v) {
        if (is_tensor(v)) {
          Tensor vt = unwrap(v);
          PE_CHECK(vt.dim() == 0, "fill_ only supports 0-dimension value tensor but got tensor with ", vt.dim(), " dimensions.");
          return autograd::fill_(t, item(vt));
        }
        return autograd::fill_(t, to_scalar(v));
      }, py::arg("value"))
      .def("zero_", [](Tensor& t) { return autograd::zero_(t); })
      .def("uniform_", [](Tensor& t, double a, double b, py::handle gen) {
        autograd::check_inplace(t);
        return uniform_(t, a, b, to_generator(gen, "uniform_"));
      }, py::arg("from") = 0.0, py::arg("to") = 1.0, py::kw_only(), py::arg("generator") = py::none())
      .def("normal_", [](Tensor& t, double mean, double std, py::handle gen) {
        autograd::check_inplace(t);
        return normal_(t, mean, std, to_generator(gen, "normal_"));
      }, py::arg("mean") = 0.0, py::arg("std") = 1.0, py::kw_only(), py::arg("generator") = py::none())
      .def("random_", [](Tensor& t, py::object a, py::object b, py::handle gen) {
        autograd::check_inplace(t);
        Generator* g = to_generator(gen, "random_");
        if (a.is_none() && b.is_none()) return random_(t, 0, (int64_t)1 << (is_floating(t.dtype()) ? 24 : 31), g);
        if (a.is_none()) return random_(t, 0, b.cast<int64_t>(), g);  // random_(to=n)
        if (b.is_none()) return random_(t, 0, a.cast<int64_t>(), g);
        return random_(t, a.cast<int64_t>(), b.cast<int64_t>(), g);
      }, py::arg("from") = py::none(), py::arg("to") = py::none(), py::kw_only(), py::arg("generator") = py::none())
      .def("_to", [](const Tensor& t, py::object dtype, py::object device, bool copy, py::object mf) {
        std::optional<DType> dt;
        std::optional<Device> dev;
        if (!dtype.is_none()) dt = to_dtype(dtype);
        if (!device.is_none()) dev = to_device(device);
        if (dt) warn_complex_to_real(t.dtype(), *dt);
        return autograd::to(t, dt, dev, copy, to_memory_format(mf, "to", MemoryFormat::Preserve));
      }, py::arg("dtype"), py::arg("device"), py::arg("copy"), py::arg("memory_format") = py::none());

  // ---- views ----
  cls.def("view", [](const Tensor& t, py::args args, py::kwargs kw) {
        if (args.size() == 1 && is_dtype(args[0]) && !PyLong_Check(args[0].ptr())) {
          return view_dtype(t, to_dtype(args[0]));
        }
        return autograd::view(t, sizes_arg(args, kw, "size", "view"));
      })
      .def("view_as", [](const Tensor& t, const Tensor& o) { return autograd::view(t, o.sizes()); }, py::arg("other"))
      .def("reshape", [](const Tensor& t, py::args args, py::kwargs kw) {
        return autograd::reshape(t, sizes_arg(args, kw, "shape", "reshape"));
      })
      .def("reshape_as", [](const Tensor& t, const Tensor& o) { return autograd::reshape(t, o.sizes()); }, py::arg("other"))
      .def("permute", [](const Tensor& t, py::args args, py::kwargs kw) {
        return autograd::permute(t, sizes_arg(args, kw, "dims", "permute"));
      })
      .def("transpose", [](const Tensor& t, int64_t a, int64_t b) { return autograd::transpose(t, a, b); }, py::arg("dim0"),
           py::arg("dim1"))
      .def("transpose_", [](Tensor& t, int64_t a, int64_t b) {
        refuse_geometry_inplace(t, "transpose_");
        return transpose_(t, a, b);
      }, py::arg("dim0"),
           py::arg("dim1"))
      .def("swapaxes", [](const Tensor& t, int64_t a, int64_t b) { return autograd::transpose(t, a, b); }, py::arg("axis0"),
           py::arg("axis1"))
      .def("swapdims", [](const Tensor& t, int64_t a, int64_t b) { return autograd::transpose(t, a, b); }, py::arg("dim0"),
           py::arg("dim1"))
      .def("t", [](const Tensor& x) { return autograd::t(x); })
      .def("t_", [](Tensor& x) {
        refuse_geometry_inplace(x, "t_");
        return t_(x);
      })
      .def_property_readonly("T", [](const Tensor& x) {
        DimVector d;
        for (int64_t i = x.dim() - 1; i >= 0; --i) d.push_back(i);
        return autograd::permute(x, d);
      })
      .def_property_readonly("mT", [](const Tensor& x) {
        PE_CHECK(x.dim() >= 2, "tensor.mT is only supported on matrices or batches of matrices. Got ", x.dim(), "-D tensor.");
        return autograd::transpose(x, -2, -1);
      })
      .def("expand", [](const Tensor& t, py::args args, py::kwargs kw) {
        return autograd::expand(t, sizes_arg(args, kw, "size", "expand"));
      })
      .def("expand_as", [](const Tensor& t, const Tensor& o) { return autograd::expand(t, o.sizes()); }, py::arg("other"))
      .def("narrow", [](const Tensor& t, int64_t d, py::handle s, int64_t l) {
        if (!is_tensor(s)) return autograd::narrow(t, d, index_to_int64(s), l);
        const Tensor& st = unwrap(s);  // a Tensor start: PyTorch's narrow.Tensor overload, 0-d integral (not bool)
        PE_CHECK(st.dim() == 0 && is_integral(st.dtype(), /*include_bool=*/false),
                 "start must be an 0-dim integral Tensor.");
        return autograd::narrow(t, d, item(st).to_int64(), l);
      }, py::arg("dim"), py::arg("start"), py::arg("length"))
      .def("select", [](const Tensor& t, int64_t d, int64_t i) { return autograd::select(t, d, i); }, py::arg("dim"),
           py::arg("index"))
      .def("squeeze", [](const Tensor& t, py::object dim) {
        if (dim.is_none()) return autograd::squeeze(t, std::nullopt);
        return autograd::squeeze(t, dims_arg(dim, "squeeze"));
      }, py::arg("dim") = py::none())
      .def("squeeze_", [](Tensor& t, py::object dim) -> Tensor& {
        refuse_geometry_inplace(t, "squeeze_");
        if (dim.is_none()) return squeeze_(t, std::nullopt);
        return squeeze_(t, dims_arg(dim, "squeeze_"));
      }, py::arg("dim") = py::none())
      .def("unsqueeze", [](const Tensor& t, int64_t d) { return autograd::unsqueeze(t, d); }, py::arg("dim"))
      .def("unsqueeze_", [](Tensor& t, int64_t d) -> Tensor& {
        refuse_geometry_inplace(t, "unsqueeze_");
        return unsqueeze_(t, d);
      }, py::arg("dim"))
      .def("flatten", [](const Tensor& t, int64_t s, int64_t e) { return autograd::flatten(t, s, e); }, py::arg("start_dim") = 0,
           py::arg("end_dim") = -1)
      .def("unflatten", [](const Tensor& t, int64_t d, py::handle sizes) {
        return autograd::unflatten(t, d, to_dimvector(sizes, "unflatten", "sizes"));
      }, py::arg("dim"), py::arg("sizes"))
      .def("split", [](const Tensor& t, py::handle s, int64_t dim) {
        if (PyLong_Check(s.ptr())) return as_tuple(autograd::split(t, s.cast<int64_t>(), dim));
        return as_tuple(autograd::split_with_sizes(t, to_dimvector(s, "split", "split_size"), dim));
      }, py::arg("split_size"), py::arg("dim") = 0)
      .def("chunk", [](const Tensor& t, int64_t c, int64_t d) { return as_tuple(autograd::chunk(t, c, d)); }, py::arg("chunks"),
           py::arg("dim") = 0)
      .def("unbind", [](const Tensor& t, int64_t d) { return as_tuple(autograd::unbind(t, d)); }, py::arg("dim") = 0)
      .def("as_strided", [](const Tensor& t, py::handle size, py::handle stride, std::optional<int64_t> off) {
        return autograd::as_strided(t, to_dimvector(size, "as_strided", "size"), to_dimvector(stride, "as_strided", "stride"), off);
      }, py::arg("size"), py::arg("stride"), py::arg("storage_offset") = py::none())
      .def("diagonal", [](const Tensor& t, int64_t o, int64_t a, int64_t b) { return autograd::diagonal(t, o, a, b); },
           py::arg("offset") = 0, py::arg("dim1") = 0, py::arg("dim2") = 1)
      .def("resize_", [](Tensor& t, py::args args, py::kwargs kw) -> Tensor& {
        PE_CHECK(!autograd::requires_grad(t), "cannot resize variables that require grad");
        return resize_(t, sizes_arg(args, kw, "size", "resize_"));
      })
      .def("repeat", [](const Tensor& t, py::args args, py::kwargs kw) {
        return autograd::repeat(t, sizes_arg(args, kw, "repeats", "repeat"));  // differentiable
      })
      .def("resize_as_", [](Tensor& t, const Tensor& o) -> Tensor& {
        PE_CHECK(!autograd::requires_grad(t), "cannot resize variables that require grad");
        return resize_(t, o.sizes());
      },
           py::arg("the_template"));

  // Arithmetic and the elementwise op library: arith_bindings.cpp, elementwise_bindings.cpp.
  bind_indexing(cls);
  bind_numpy(m, cls);
  run_registered_bindings(m, cls);
}

}  // namespace pe::python

// Shared pieces of the bindings: type casters that let bound functions take and return pe::Tensor,
// pe::DType, pe::Device and pe::Scalar directly, and argument helpers. Bindings only convert
// arguments and call the op layer; no semantics live here.
#pragma once
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include "core/dispatch.h"
#include "core/tensor.h"
#include "ops/ops.h"

namespace py = pybind11;

namespace pe::python {

using TensorHolder = std::shared_ptr<TensorImpl>;

// The Python class of tensors (pyengine.Tensor), set once at module init.
py::handle tensor_class();
bool is_tensor(py::handle h);
Tensor unwrap(py::handle h);  // h must be a tensor

// dtype objects (pyengine.float32, ...): one immortal instance per DType, so `is` works.
py::object dtype_object(DType t);
bool is_dtype(py::handle h);
DType to_dtype(py::handle h);  // dtype object, or Python float/int/bool; TypeError otherwise
bool is_device_like(py::handle h);  // device object, str or int
Device to_device(py::handle h);  // device object, "cuda:0", or an int (cuda index)
py::object device_object(Device d);
// A torch.memory_format object (pyengine.channels_last, ...; defined in pyengine/_layout.py) -> MemoryFormat;
// None -> dflt; TypeError "fn(): argument 'memory_format' must be torch.memory_format" otherwise.
MemoryFormat to_memory_format(py::handle h, const char* fn, MemoryFormat dflt);
// Python number (or 0-d tensor via item) -> Scalar; TypeError for anything else.
bool is_scalar(py::handle h);
Scalar to_scalar(py::handle h);
py::object scalar_to_py(const Scalar& s);

// operator.index(h) as int64; raises the Python error (TypeError) for non-integers.
inline int64_t index_to_int64(PyObject* h) {
  PyObject* r = PyNumber_Index(h);
  if (!r) throw py::error_already_set();
  return py::reinterpret_steal<py::int_>(r).cast<int64_t>();
}
inline int64_t index_to_int64(py::handle h) { return index_to_int64(h.ptr()); }

// Sizes from f(2, 3), f((2, 3)), f([2, 3]) or f(torch.Size([2, 3])).
DimVector parse_sizes(const py::args& args, const char* fn, size_t first = 0);
DimVector to_dimvector(py::handle seq, const char* fn, const char* arg);
// Sizes from positional args, or from the keyword `name` (x.view(size=(2, 3))).
DimVector sizes_arg(const py::args& args, const py::kwargs& kw, const char* name, const char* fn);
py::object make_size(const DimVector& v);  // torch.Size
py::tuple to_tuple(const DimVector& v);

TensorOptions parse_options(const py::kwargs& kw, const char* fn);  // dtype, device, requires_grad, ...
// generator= of a random op: None -> nullptr (the device's default); TypeError for a non-Generator.
Generator* to_generator(py::handle h, const char* fn);

void bind_types(py::module_& m);
void bind_tensor(py::module_& m);
void bind_indexing(py::class_<TensorImpl, TensorHolder>& cls);
void bind_numpy(py::module_& m, py::class_<TensorImpl, TensorHolder>& cls);
void bind_functions(py::module_& m);
void bind_cuda(py::module_& m);  // cuda_bindings.cpp

}  // namespace pe::python

namespace pybind11::detail {

template <>
struct type_caster<pe::Tensor> {
  PYBIND11_TYPE_CASTER(pe::Tensor, const_name("Tensor"));
  // None is not a Tensor: optional tensor arguments are taken as py::object and checked.
  bool load(handle src, bool) {
    if (!pe::python::is_tensor(src)) return false;
    value = pe::python::unwrap(src);
    return true;
  }
  static handle cast(const pe::Tensor& t, return_value_policy, handle) {
    if (!t.defined()) return none().release();
    return copyable_holder_caster<pe::TensorImpl, pe::python::TensorHolder>::cast(
        t.impl_ptr(), return_value_policy::take_ownership, handle());
  }
};

template <>
struct type_caster<pe::DType> {
  PYBIND11_TYPE_CASTER(pe::DType, const_name("dtype"));
  bool load(handle src, bool) {
    if (!pe::python::is_dtype(src)) return false;
    value = pe::python::to_dtype(src);
    return true;
  }
  static handle cast(pe::DType t, return_value_policy, handle) { return pe::python::dtype_object(t).release(); }
};

template <>
struct type_caster<pe::Scalar> {
  PYBIND11_TYPE_CASTER(pe::Scalar, const_name("Number"));
  bool load(handle src, bool) {
    if (!pe::python::is_scalar(src)) return false;
    value = pe::python::to_scalar(src);
    return true;
  }
  static handle cast(const pe::Scalar& s, return_value_policy, handle) { return pe::python::scalar_to_py(s).release(); }
};

}  // namespace pybind11::detail

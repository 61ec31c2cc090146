// __getitem__ / __setitem__: Python index objects -> pe::TensorIndex, then the differentiable
// indexing of autograd/ops_index.h.
#include "autograd/ops_basic.h"
#include "autograd/ops_index.h"
#include "python/common.h"

namespace pe::python {

namespace {

std::optional<int64_t> opt_int(py::handle h) {
  if (h.is_none()) return std::nullopt;
  if (is_tensor(h)) return item(unwrap(h)).to_int64();
  return index_to_int64(h.ptr());
}

TensorIndex to_index(py::handle h) {
  PyObject* p = h.ptr();
  if (PyBool_Check(p)) return TensorIndex::make_bool(p == Py_True);
  if (PyLong_Check(p)) return TensorIndex::make_int(h.cast<int64_t>());
  if (p == Py_None) return TensorIndex::make_none();
  if (p == Py_Ellipsis) return TensorIndex::make_ellipsis();
  if (PySlice_Check(p)) {
    auto* sl = reinterpret_cast<PySliceObject*>(p);
    std::optional<int64_t> step = opt_int(sl->step);
    PE_CHECK_VALUE(!step || *step > 0, "step must be greater than zero");
    return TensorIndex::make_slice(opt_int(sl->start), opt_int(sl->stop), step.value_or(1));
  }
  if (is_tensor(h)) return TensorIndex::make_tensor(unwrap(h));
  if (PySequence_Check(p) || py::isinstance<py::array>(h)) {
    py::object t = py::module_::import("pyengine._tensor").attr("_index_tensor")(h);
    return TensorIndex::make_tensor(unwrap(t));
  }
  if (PyIndex_Check(p)) return TensorIndex::make_int(index_to_int64(p));
  throw IndexError("only integers, slices (`:`), ellipsis (`...`), None and long or byte Variables are valid indices "
                   "(got " + std::string(py::str(py::type::handle_of(h).attr("__name__"))) + ")");
}

// PyTorch (like old NumPy) reads a short list holding sequences, tensors, slices, None or Ellipsis
// as a tuple of indices: x[[[0, 1], [1, 2]]] == x[[0, 1], [1, 2]].
bool list_is_tuple(py::handle idx) {
  if (!PyList_Check(idx.ptr())) return false;
  Py_ssize_t n = PyList_GET_SIZE(idx.ptr());
  if (n >= 32) return false;
  for (Py_ssize_t i = 0; i < n; ++i) {
    PyObject* e = PyList_GET_ITEM(idx.ptr(), i);
    if (PySequence_Check(e) || PySlice_Check(e) || e == Py_Ellipsis || e == Py_None || is_tensor(e)) return true;
  }
  return false;
}

std::vector<TensorIndex> to_indices(py::handle idx) {
  std::vector<TensorIndex> out;
  if (PyTuple_Check(idx.ptr()) || list_is_tuple(idx)) {
    py::sequence t = py::reinterpret_borrow<py::sequence>(idx);
    out.reserve(t.size());
    for (auto h : t) out.push_back(to_index(h));
  } else {
    out.push_back(to_index(idx));
  }
  return out;
}

// PyTorch's errors for a lone int or slice on a 0-dim tensor (t[0], t[0] = v, t[0:1]): index 0 tells the
// user to call item(), other ints are out of bounds of a size-0 dimension (old code indexes a 0-dim loss as loss.data[0]).
void check_zero_dim_index(const Tensor& t, py::handle idx) {
  if (t.dim() != 0) return;
  PyObject* p = idx.ptr();
  if (PySlice_Check(p)) throw IndexError("slice() cannot be applied to a 0-dim tensor.");
  if (PyBool_Check(p) || p == Py_None || p == Py_Ellipsis || PyTuple_Check(p) || PySequence_Check(p) ||
      is_tensor(idx) || !PyIndex_Check(p))
    return;
  int64_t i = index_to_int64(p);
  if (i != 0) throw IndexError("index " + std::to_string(i) + " is out of bounds for dimension 0 with size 0");
  throw IndexError("invalid index of a 0-dim tensor. Use `tensor.item()` in Python or `tensor.item<T>()` in C++ "
                   "to convert a 0-dim tensor to a number");
}

}  // namespace

void bind_indexing(py::class_<TensorImpl, TensorHolder>& cls) {
  // Through autograd (autograd/ops_index.h): basic indices are differentiable views, advanced ones
  // IndexBackward0 / IndexPutBackward0, as PyTorch records them.
  cls.def("__getitem__", [](const Tensor& t, py::handle idx) {
    check_zero_dim_index(t, idx);
    // Fast path: a single int.
    if (PyLong_Check(idx.ptr()) && !PyBool_Check(idx.ptr())) return autograd::select(t, 0, idx.cast<int64_t>());
    bool single = !PyTuple_Check(idx.ptr()) && !list_is_tuple(idx);
    return autograd::getitem(t, to_indices(idx), single);
  });
  cls.def("__setitem__", [](Tensor& t, py::handle idx, py::handle value) {
    check_zero_dim_index(t, idx);
    std::vector<TensorIndex> ix = to_indices(idx);
    if (is_tensor(value)) {
      autograd::setitem(t, ix, unwrap(value));
    } else if (is_scalar(value)) {
      autograd::setitem(t, ix, to_scalar(value));
    } else {
      // Sequences and arrays are accepted (converted to t's dtype); anything else is PyTorch's TypeError.
      PE_CHECK_TYPE(!value.is_none() && !PyUnicode_Check(value.ptr()) && !PyBytes_Check(value.ptr()) &&
                        !PyDict_Check(value.ptr()),
                    "can't assign a ", std::string(py::str(py::type::handle_of(value).attr("__name__"))),
                    " to a torch.", legacy_type_name(t.dtype()));
      py::object v = py::module_::import("pyengine._tensor").attr("_value_tensor")(value, t);
      autograd::setitem(t, ix, unwrap(v));
    }
  });
}

}  // namespace pe::python

// The numpy bridge: from_numpy() and Tensor.numpy() share memory (no copy). A tensor made by
// from_numpy keeps the array alive through its storage's deleter; an array made by numpy() keeps
// the storage alive through a capsule.
#include "python/common.h"

namespace pe::python {

namespace {

DType dtype_from_numpy(const py::dtype& d) {
  char kind = d.kind();
  int64_t size = d.itemsize();
  if (kind == 'b') return DType::Bool;
  if (kind == 'u' && size == 1) return DType::UInt8;
  if (kind == 'i') {
    switch (size) {
      case 1: return DType::Int8;
      case 2: return DType::Int16;
      case 4: return DType::Int32;
      case 8: return DType::Int64;
    }
  }
  if (kind == 'f') {
    switch (size) {
      case 2: return DType::Float16;
      case 4: return DType::Float32;
      case 8: return DType::Float64;
    }
  }
  if (kind == 'c' && size == 8) return DType::Complex64;
  if (kind == 'c' && size == 16) return DType::Complex128;
  throw TypeError(str("can't convert np.ndarray of type numpy.", std::string(py::str(d.attr("name"))),
                      ". The only supported types are: float64, float32, float16, complex64, complex128, int64, "
                      "int32, int16, int8, uint8, and bool."));
}

py::dtype numpy_dtype(DType t) {
  switch (t) {
    case DType::Bool: return py::dtype("bool");
    case DType::UInt8: return py::dtype("uint8");
    case DType::Int8: return py::dtype("int8");
    case DType::Int16: return py::dtype("int16");
    case DType::Int32: return py::dtype("int32");
    case DType::Int64: return py::dtype("int64");
    case DType::Float16: return py::dtype("float16");
    case DType::Float32: return py::dtype("float32");
    case DType::Float64: return py::dtype("float64");
    case DType::Complex64: return py::dtype("complex64");
    case DType::Complex128: return py::dtype("complex128");
    default: break;
  }
  throw TypeError(str("Got unsupported ScalarType ", t == DType::BFloat16 ? "BFloat16" : dtype_name(t)));
}

void release_pyobject(void* ctx, void*) {
  py::gil_scoped_acquire gil;
  Py_DECREF(reinterpret_cast<PyObject*>(ctx));
}

}  // namespace

Tensor from_numpy(py::handle obj) {
  PE_CHECK_TYPE(py::isinstance<py::array>(obj), "expected np.ndarray (got ",
                std::string(py::str(py::type::handle_of(obj).attr("__name__"))), ")");
  py::array arr = py::reinterpret_borrow<py::array>(obj);
  DType dt = dtype_from_numpy(arr.dtype());
  int64_t isz = element_size(dt);
  PE_CHECK_VALUE(arr.dtype().attr("isnative").cast<bool>(),
                 "given numpy array has byte order different from the native byte order. Conversion between byte "
                 "orders is currently not supported.");
  DimVector sizes(arr.ndim()), strides(arr.ndim());
  int64_t lo = 0, hi = 0;
  for (py::ssize_t d = 0; d < arr.ndim(); ++d) {
    sizes[d] = arr.shape(d);
    int64_t sb = arr.strides(d);
    PE_CHECK_VALUE(sb >= 0, "At least one stride in the given numpy array is negative, and tensors with negative "
                   "strides are not currently supported. (You can probably work around this by making a copy of your "
                   "array  with array.copy().) ");
    PE_CHECK_VALUE(sb % isz == 0, "given numpy array strides not a multiple of the element byte size. Copy the numpy "
                   "array to reallocate the memory.");
    strides[d] = sb / isz;
    if (sizes[d] > 0) hi += (sizes[d] - 1) * sb;
    else lo = hi = -1;
  }
  size_t nbytes = lo < 0 ? 0 : (size_t)(hi + isz);
  Py_INCREF(obj.ptr());
  DataPtr dp(const_cast<void*>(arr.data()), obj.ptr(), &release_pyobject, Device());
  auto storage = std::make_shared<StorageImpl>(std::move(dp), nbytes);
  return Tensor(std::make_shared<TensorImpl>(std::move(storage), dt, sizes, strides, 0));
}

py::array to_numpy(const Tensor& t, bool force) {
  Tensor src = t;
  if (force) {
    src = to(t, std::nullopt, Device());
  } else {
    PE_CHECK(!t->requires_grad(), "Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() instead.");
    PE_CHECK_TYPE(t.device().is_cpu(), "can't convert ", t.device().str(),
                  " device type tensor to numpy. Use Tensor.cpu() to copy the tensor to host memory first.");
  }
  py::dtype dt = numpy_dtype(src.dtype());
  std::vector<py::ssize_t> shape(src.sizes().begin(), src.sizes().end());
  std::vector<py::ssize_t> strides(src.dim());
  for (int64_t d = 0; d < src.dim(); ++d) strides[d] = src.strides()[d] * src->itemsize();
  auto* keep = new Storage(src->storage());
  py::capsule base(keep, [](void* p) { delete reinterpret_cast<Storage*>(p); });
  return py::array(dt, shape, strides, src.raw_data(), base);
}

void bind_numpy(py::module_& m, py::class_<TensorImpl, TensorHolder>& cls) {
  m.def("from_numpy", [](py::handle a) { return from_numpy(a); });
  cls.def("numpy", [](const Tensor& t, bool force) { return to_numpy(t, force); }, py::kw_only(),
          py::arg("force") = false);
  // numpy 2's protocol: copy=None shares memory when it can and copies only for a dtype change
  // (a tensor that requires grad or lives on a GPU raises as numpy() does); copy=True always returns a
  // new array (of the detached, host values); copy=False never copies: ValueError when it would have to.
  cls.def("__array__", [](const Tensor& t, py::object dtype, py::object copy) -> py::array {
    bool always = !copy.is_none() && PyObject_IsTrue(copy.ptr());
    bool never = !copy.is_none() && !always;
    if (never && (t->requires_grad() || !t.device().is_cpu()))
      throw py::value_error(str("Unable to avoid copy while creating an array as requested: the tensor ",
                                t->requires_grad() ? "requires grad" : "is on " + t.device().str(),
                                " (use copy=True or tensor.detach().cpu())"));
    py::array a = to_numpy(t, always);
    bool copied = always && !t.device().is_cpu();
    if (!dtype.is_none()) {
      py::dtype want = py::dtype::from_args(dtype);
      if (!want.equal(a.dtype())) {
        if (never)
          throw py::value_error(str("Unable to avoid copy while creating an array as requested: the tensor is ",
                                    std::string(py::str(a.dtype())), ", not ", std::string(py::str(want))));
        a = py::array(a.attr("astype")(want));
        copied = true;
      }
    }
    if (always && !copied) a = py::array(a.attr("copy")());
    return a;
  }, py::arg("dtype") = py::none(), py::arg("copy") = py::none());
}

}  // namespace pe::python

// dtype and device objects, torch.Size, Python numbers, and argument parsing helpers.
#include <array>

#include "python/common.h"

namespace pe::python {

namespace {

struct DTypeObject {
  DType type;
};

std::array<py::object, kNumDTypes>& dtype_objects() {
  static auto* objs = new std::array<py::object, kNumDTypes>();  // immortal: lives as long as the module
  return *objs;
}
py::handle g_dtype_class;
py::handle g_device_class;
py::object* g_size_class = nullptr;

}  // namespace

py::object dtype_object(DType t) { return dtype_objects()[(int)t]; }

bool is_dtype(py::handle h) {
  if (py::type::handle_of(h).is(g_dtype_class)) return true;
  PyObject* p = h.ptr();
  return p == (PyObject*)&PyFloat_Type || p == (PyObject*)&PyLong_Type || p == (PyObject*)&PyBool_Type;
}

DType to_dtype(py::handle h) {
  if (py::type::handle_of(h).is(g_dtype_class)) return h.cast<DTypeObject&>().type;
  PyObject* p = h.ptr();
  if (p == (PyObject*)&PyFloat_Type) return DType::Float64;
  if (p == (PyObject*)&PyLong_Type) return DType::Int64;
  if (p == (PyObject*)&PyBool_Type) return DType::Bool;
  throw TypeError(str("expected a dtype (e.g. pyengine.float32), got ", std::string(py::str(py::type::handle_of(h).attr("__name__")))));
}

bool is_device_like(py::handle h) {
  return py::type::handle_of(h).is(g_device_class) || py::isinstance<py::str>(h) ||
         (PyLong_Check(h.ptr()) && !PyBool_Check(h.ptr()));
}

Device to_device(py::handle h) {
  if (py::type::handle_of(h).is(g_device_class)) return h.cast<Device>();
  if (py::isinstance<py::str>(h)) return Device::parse(h.cast<std::string>());
  if (PyLong_Check(h.ptr()) && !PyBool_Check(h.ptr())) {
    int64_t i = h.cast<int64_t>();
    PE_CHECK(i >= 0, "Device index must not be negative");
    return Device(DeviceType::CUDA, (int)i);
  }
  throw TypeError(str("expected a device (pyengine.device, str or int), got ",
                      std::string(py::str(py::type::handle_of(h).attr("__name__")))));
}

py::object device_object(Device d) { return py::cast(d); }

bool is_scalar(py::handle h) {
  PyObject* p = h.ptr();
  if (PyFloat_Check(p) || PyLong_Check(p) || PyComplex_Check(p)) return true;  // bool is a PyLong
  // numpy scalars
  return py::isinstance<py::float_>(h) || (PyObject_HasAttrString(p, "dtype") && PyObject_HasAttrString(p, "item") &&
                                           !is_tensor(h) && !py::isinstance<py::array>(h));
}

Scalar to_scalar(py::handle h) {
  PyObject* p = h.ptr();
  if (PyBool_Check(p)) return Scalar(p == Py_True);
  if (PyLong_Check(p)) {
    int overflow = 0;
    long long v = PyLong_AsLongLongAndOverflow(p, &overflow);
    if (overflow) throw Error(str("value cannot be converted to type int64 without overflow"));
    return Scalar((int64_t)v);
  }
  if (PyFloat_Check(p)) return Scalar(PyFloat_AS_DOUBLE(p));
  if (PyComplex_Check(p)) return Scalar(std::complex<double>(PyComplex_RealAsDouble(p), PyComplex_ImagAsDouble(p)));
  if (is_tensor(h)) return item(unwrap(h));
  if (PyObject_HasAttrString(p, "item")) return to_scalar(h.attr("item")());
  throw TypeError(str("expected a number, got ", std::string(py::str(py::type::handle_of(h).attr("__name__")))));
}

py::object scalar_to_py(const Scalar& s) {
  if (s.is_bool()) return py::bool_(s.to_bool());
  if (s.is_integral()) return py::int_(s.to_int64());
  if (s.is_complex()) {
    std::complex<double> c = s.to_complex();
    return py::reinterpret_steal<py::object>(PyComplex_FromDoubles(c.real(), c.imag()));
  }
  return py::float_(s.to_double());
}

static int64_t to_int_arg(py::handle h, const char* fn, const char* arg, size_t pos) {
  PyObject* p = h.ptr();
  if (PyLong_Check(p) && !PyBool_Check(p)) return h.cast<int64_t>();
  if (is_tensor(h)) {
    Tensor t = unwrap(h);
    if (t.numel() == 1 && is_integral(t.dtype(), false)) return item(t).to_int64();
  }
  if (PyIndex_Check(p) && !PyBool_Check(p) && !PyFloat_Check(p)) return index_to_int64(p);
  throw TypeError(str(fn, "(): argument '", arg, "' (position ", pos + 1, ") must be tuple of ints, but found element of type ",
                      std::string(py::str(py::type::handle_of(h).attr("__name__"))), " at pos ", pos));
}

DimVector to_dimvector(py::handle seq, const char* fn, const char* arg) {
  DimVector out;
  if (PyLong_Check(seq.ptr()) && !PyBool_Check(seq.ptr())) {
    out.push_back(seq.cast<int64_t>());
    return out;
  }
  if (!PySequence_Check(seq.ptr()) || is_tensor(seq))
    throw TypeError(str(fn, "(): argument '", arg, "' must be tuple of ints, not ",
                        std::string(py::str(py::type::handle_of(seq).attr("__name__")))));
  py::sequence s = py::reinterpret_borrow<py::sequence>(seq);
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) out.push_back(to_int_arg(s[i], fn, arg, i));
  return out;
}

DimVector parse_sizes(const py::args& args, const char* fn, size_t first) {
  size_t n = args.size() - first;
  if (n == 1) {
    py::handle a = args[first];
    if (!(PyLong_Check(a.ptr()) && !PyBool_Check(a.ptr())) && !is_tensor(a)) return to_dimvector(a, fn, "size");
  }
  DimVector out;
  out.reserve(n);
  for (size_t i = first; i < args.size(); ++i) out.push_back(to_int_arg(args[i], fn, "size", i - first));
  return out;
}

DimVector sizes_arg(const py::args& args, const py::kwargs& kw, const char* name, const char* fn) {
  for (auto item : kw) {
    std::string k = py::str(item.first);
    PE_CHECK_TYPE(k == name && args.size() == 0, fn, "() got an unexpected keyword argument '", k, "'");
    return to_dimvector(item.second, fn, name);
  }
  return parse_sizes(args, fn);
}

py::tuple to_tuple(const DimVector& v) {
  py::tuple t(v.size());
  for (size_t i = 0; i < v.size(); ++i) PyTuple_SET_ITEM(t.ptr(), i, PyLong_FromLongLong(v[i]));
  return t;
}

py::object make_size(const DimVector& v) {
  py::tuple t = to_tuple(v);
  if (!g_size_class) return std::move(t);
  return (*g_size_class)(t);
}

MemoryFormat to_memory_format(py::handle h, const char* fn, MemoryFormat dflt) {
  if (h.is_none()) return dflt;
  py::object code = py::getattr(h, "_pe_memory_format", py::none());
  PE_CHECK_TYPE(PyLong_Check(code.ptr()), fn, "(): argument 'memory_format' must be torch.memory_format, not ",
                std::string(py::str(py::type::handle_of(h).attr("__name__"))));
  return static_cast<MemoryFormat>(code.cast<int>());
}

TensorOptions parse_options(const py::kwargs& kw, const char* fn) {
  TensorOptions opt;
  for (auto item : kw) {
    std::string k = py::str(item.first);
    py::handle v = item.second;
    if (k == "dtype") {
      if (!v.is_none()) opt.dtype = to_dtype(v);
    } else if (k == "device") {
      if (!v.is_none()) opt.device = to_device(v);
    } else if (k == "requires_grad") {
      opt.requires_grad = v.cast<bool>();
    } else if (k == "layout") {  // only torch.strided exists: another layout is refused, not ignored
      PE_CHECK(v.is_none() || std::string(py::repr(v)) == "torch.strided", fn, "(...) is not implemented for ",
               std::string(py::repr(v)), " layout: pyengine has torch.strided only");
    } else if (k == "pin_memory") {
      opt.pin_memory = !v.is_none() && PyObject_IsTrue(v.ptr());  // honoured by the factory (ops/pinned.cpp)
    } else {
      throw TypeError(str(fn, "() got an unexpected keyword argument '", k, "'"));
    }
  }
  return opt;
}

void bind_types(py::module_& m) {
  auto dt = py::class_<DTypeObject>(m, "dtype");
  dt.def("__repr__", [](const DTypeObject& d) { return std::string("torch.") + dtype_name(d.type); })
      .def("__str__", [](const DTypeObject& d) { return std::string("torch.") + dtype_name(d.type); })
      .def_property_readonly("is_floating_point", [](const DTypeObject& d) { return is_floating(d.type); })
      .def_property_readonly("is_signed", [](const DTypeObject& d) {
        return d.type != DType::Bool && d.type != DType::UInt8;
      })
      .def_property_readonly("is_complex", [](const DTypeObject& d) { return is_complex(d.type); })
      .def("to_real", [](const DTypeObject& d) { return to_real_dtype(d.type); })
      .def("to_complex", [](const DTypeObject& d) {
        PE_CHECK(!is_integral(d.type, true), "Unknown Complex ScalarType for ", scalar_type_name(d.type));
        return to_complex_dtype(d.type);
      })
      .def_property_readonly("itemsize", [](const DTypeObject& d) { return element_size(d.type); })
      .def("__reduce__", [](const DTypeObject& d) { return std::string(dtype_name(d.type)); });
  g_dtype_class = dt;
  for (int i = 0; i < kNumDTypes; ++i) {
    dtype_objects()[i] = py::cast(DTypeObject{(DType)i}, py::return_value_policy::move);
    m.attr(dtype_name((DType)i)) = dtype_objects()[i];
  }
  m.attr("cfloat") = dtype_objects()[(int)DType::Complex64];
  m.attr("cdouble") = dtype_objects()[(int)DType::Complex128];
  m.def("get_default_dtype", [] { return default_dtype(); });
  m.def("set_default_dtype", [](DType t) { set_default_dtype(t); });
  m.def("promote_types", [](DType a, DType b) { return promote_types(a, b); });
  m.def("_set_size_class", [](py::object cls) { g_size_class = new py::object(std::move(cls)); });

  auto dev = py::class_<Device>(m, "device");
  dev.def(py::init([](const std::string& s) { return Device::parse(s); }), py::arg("type"))
      .def(py::init([](const std::string& type, int64_t index) {
             Device d = Device::parse(type);
             PE_CHECK(type.find(':') == std::string::npos, "type (string) must not include an index because index was "
                      "passed explicitly: ", type);
             PE_CHECK(index >= 0, "Device index must not be negative");
             PE_CHECK(!d.is_cpu() || index == 0, "CPU device index must be -1 or zero, got ", index);
             return Device(d.type, (int)index);
           }),
           py::arg("type"), py::arg("index"))
      .def(py::init([](const Device& d) { return d; }))
      .def(py::init([](int64_t index) {
        PE_CHECK(index >= 0, "Device index must not be negative");
        return Device(DeviceType::CUDA, (int)index);
      }))
      .def_property_readonly("type", [](const Device& d) { return d.type_name(); })
      .def_property_readonly("index", [](const Device& d) -> py::object {
        if (d.index < 0) return py::none();
        return py::int_(d.index);
      })
      .def("__eq__", [](const Device& a, py::handle b) {
        return py::type::handle_of(b).is(g_device_class) && a == b.cast<Device>();
      })
      .def("__hash__", [](const Device& d) { return (int)d.type * 1000 + d.index; })
      .def("__str__", [](const Device& d) { return d.str(); })
      .def("__repr__", [](const Device& d) {
        std::string s = std::string("device(type='") + d.type_name() + "'";
        if (d.index >= 0) s += ", index=" + std::to_string(d.index);
        return s + ")";
      })
      .def("__reduce__", [dev](const Device& d) { return py::make_tuple(dev, py::make_tuple(d.str())); });
  g_device_class = dev;
  py::implicitly_convertible<py::str, Device>();
}

}  // namespace pe::python

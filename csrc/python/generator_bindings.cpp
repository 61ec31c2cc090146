// pyengine.Generator: the engine's Philox generator (Note [Generators] in core/rng.h) as a Python
// object, the per-device default generators (torch.default_generator), the seeding functions, and
// the `generator=` argument of the random ops (to_generator).
#include <cstring>

#include "core/rng.h"
#include "ops/stubs.h"
#include "python/common.h"
#include "python/registry.h"

namespace pe::python {

namespace {

using GeneratorPtr = std::shared_ptr<Generator>;
py::handle g_generator_class;

// The default generators live as long as the process; Python holds them without owning them.
GeneratorPtr default_ptr(Device d) { return GeneratorPtr(&default_generator(d), [](Generator*) {}); }

// A seed as PyTorch takes it: a Python int in [-2^63, 2^64) (negative ones wrap to uint64).
uint64_t seed_arg(py::handle h) {
  PyObject* p = h.ptr();
  if (!PyLong_Check(p) || PyBool_Check(p))
    throw Error(str("manual_seed expected a long, but got ", std::string(py::str(py::type::handle_of(h).attr("__name__")))));
  int overflow = 0;
  long long v = PyLong_AsLongLongAndOverflow(p, &overflow);
  if (overflow == 0) return (uint64_t)v;
  if (overflow > 0) {
    unsigned long long u = PyLong_AsUnsignedLongLong(p);
    if (!PyErr_Occurred()) return (uint64_t)u;
    PyErr_Clear();
  }
  throw ValueError("Overflow when unpacking long long");
}

Device generator_device(py::handle device) {
  Device d = device.is_none() ? Device() : to_device(device);
  if (d.is_cuda()) {
    PE_CHECK(cuda_device_count() > 0, "Cannot create a CUDA generator: CUDA is not available (",
             cuda_compiled() ? "no CUDA device found" : "pyengine was built without CUDA", ")");
    if (d.index < 0) d = Device(DeviceType::CUDA, cuda_hooks().current_device());
    PE_CHECK(d.index < cuda_device_count(), "Invalid device id ", (int)d.index);
  }
  return d;
}

Tensor state_tensor(const Generator& g) {
  Tensor t = make_empty({(int64_t)Generator::kStateSize}, DType::UInt8, Device());
  g.get_state(t.data_ptr<uint8_t>());
  return t;
}

// A state is a CPU uint8 tensor (as PyTorch's ByteTensor) or bytes; never unpickled.
void set_state_from(Generator& g, py::handle state) {
  if (PyBytes_Check(state.ptr())) {
    std::string b = state.cast<std::string>();
    g.set_state(reinterpret_cast<const uint8_t*>(b.data()), b.size());
    return;
  }
  if (!is_tensor(state))
    throw TypeError(str("expected a torch.ByteTensor, but got ", std::string(py::str(py::type::handle_of(state).attr("__name__")))));
  Tensor t = unwrap(state);
  PE_CHECK_TYPE(t.dtype() == DType::UInt8 && t.device().is_cpu(), "RNG state must be a torch.ByteTensor");
  Tensor c = contiguous(t);
  g.set_state(c.data_ptr<uint8_t>(), (size_t)c.numel());
}

void bind_generator(py::module_& m, TensorClass&) {
  auto cls = py::class_<Generator, GeneratorPtr>(m, "Generator");
  g_generator_class = cls;
  cls.def(py::init([](py::object device) { return std::make_shared<Generator>(generator_device(device)); }),
          py::arg("device") = py::none())
      .def("manual_seed", [](py::object self, py::handle seed) {
        self.cast<Generator&>().manual_seed(seed_arg(seed));
        return self;
      }, py::arg("seed"))
      .def("seed", [](Generator& g) { return g.seed(); })
      .def("initial_seed", [](const Generator& g) { return g.initial_seed(); })
      .def("get_state", [](const Generator& g) { return state_tensor(g); })
      .def("set_state", [](py::object self, py::handle state) {
        set_state_from(self.cast<Generator&>(), state);
        return self;
      }, py::arg("new_state"))
      .def_property_readonly("device", [](const Generator& g) { return g.device(); })
      .def(py::pickle(
          [](const Generator& g) {
            uint8_t st[Generator::kStateSize];
            g.get_state(st);
            return py::make_tuple(g.device(), py::bytes(reinterpret_cast<const char*>(st), sizeof st));
          },
          [](py::tuple t) {
            PE_CHECK(t.size() == 2, "Generator.__setstate__: expected (device, state), got ", t.size(), " items");
            auto g = std::make_shared<Generator>(generator_device(t[0]));
            set_state_from(*g, t[1]);
            return g;
          }));

  m.attr("default_generator") = py::cast(default_ptr(Device()));
  m.def("_default_generator", [](py::handle device) { return default_ptr(to_device(device)); }, py::arg("device"));
  m.def("manual_seed", [](py::handle seed) {
    manual_seed(seed_arg(seed));
    return default_ptr(Device());
  }, py::arg("seed"));
  m.def("initial_seed", [] { return initial_seed(); });
}

}  // namespace

Generator* to_generator(py::handle h, const char* fn) {
  if (h.is_none()) return nullptr;
  if (!py::type::handle_of(h).is(g_generator_class))
    throw TypeError(str(fn, "(): argument 'generator' must be torch.Generator, not ",
                        std::string(py::str(py::type::handle_of(h).attr("__name__")))));
  return &h.cast<Generator&>();
}

PE_PY_BINDINGS(bind_generator);

}  // namespace pe::python

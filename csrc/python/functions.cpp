// Module-level functions: factories, random seeding, threads, CUDA queries.
#include "core/cpu_allocator.h"
#include "core/rng.h"
#include "cpu/parallel.h"
#include "ops/stubs.h"
#include "python/common.h"

namespace pe::python {

namespace {

// f(*size, dtype=, device=, requires_grad=) or f(size=(...), ...)
DimVector factory_sizes(const py::args& args, const py::kwargs& kw, const char* fn) {
  if (args.size() == 0 && kw.contains("size")) return to_dimvector(kw["size"], fn, "size");
  return parse_sizes(args, fn);
}

py::kwargs without(const py::kwargs& kw, std::initializer_list<const char*> keys) {
  py::kwargs out;
  for (auto item : kw) {
    std::string k = py::str(item.first);
    bool skip = false;
    for (auto* key : keys) skip = skip || k == key;
    if (!skip) out[item.first] = item.second;
  }
  return out;
}

template <class F>
void def_sized_factory(py::module_& m, const char* name, F f) {
  m.def(name, [name, f](py::args args, py::kwargs kw) {
    DimVector sizes = factory_sizes(args, kw, name);
    TensorOptions opt = parse_options(without(kw, {"size"}), name);
    Tensor t = f(sizes, opt);
    if (kw.contains("out") && !kw["out"].is_none()) {
      Tensor out = unwrap(kw["out"]);
      resize_(out, sizes);
      copy_(out, t);
      return out;
    }
    return t;
  });
}

}  // namespace

void bind_functions(py::module_& m) {
  def_sized_factory(m, "empty", [](const DimVector& s, const TensorOptions& o) { return empty(s, o); });
  def_sized_factory(m, "zeros", [](const DimVector& s, const TensorOptions& o) { return zeros(s, o); });
  def_sized_factory(m, "ones", [](const DimVector& s, const TensorOptions& o) { return ones(s, o); });
  def_sized_factory(m, "rand", [](const DimVector& s, const TensorOptions& o) { return rand(s, o); });
  def_sized_factory(m, "randn", [](const DimVector& s, const TensorOptions& o) { return randn(s, o); });

  m.def("full", [](py::handle size, const Scalar& value, py::kwargs kw) {
    return full(to_dimvector(size, "full", "size"), value, parse_options(kw, "full"));
  }, py::arg("size"), py::arg("fill_value"));
  m.def("eye", [](int64_t n, py::object mm, py::kwargs kw) {
    return eye(n, mm.is_none() ? n : mm.cast<int64_t>(), parse_options(kw, "eye"));
  }, py::arg("n"), py::arg("m") = py::none());
  m.def("arange", [](py::args args, py::kwargs kw) {
    std::vector<Scalar> v;
    for (auto a : args) v.push_back(to_scalar(a));
    py::kwargs rest = without(kw, {"start", "end", "step"});
    if (kw.contains("start")) v.insert(v.begin(), to_scalar(kw["start"]));
    if (kw.contains("end")) v.push_back(to_scalar(kw["end"]));
    Scalar step = kw.contains("step") ? to_scalar(kw["step"]) : Scalar(int64_t(1));
    if (v.size() == 3) step = v[2];
    PE_CHECK_TYPE(!v.empty() && v.size() <= 3, "arange() received an invalid combination of arguments");
    Scalar start = v.size() == 1 ? Scalar(int64_t(0)) : v[0];
    Scalar end = v.size() == 1 ? v[0] : v[1];
    return arange(start, end, step, parse_options(rest, "arange"));
  });
  m.def("linspace", [](const Scalar& start, const Scalar& end, int64_t steps, py::kwargs kw) {
    return linspace(start, end, steps, parse_options(kw, "linspace"));
  }, py::arg("start"), py::arg("end"), py::arg("steps"));
  m.def("randint", [](py::args args, py::kwargs kw) {
    // randint(high, size) or randint(low, high, size)
    std::vector<py::handle> a(args.begin(), args.end());
    py::kwargs rest = without(kw, {"low", "high", "size"});
    int64_t low = kw.contains("low") ? kw["low"].cast<int64_t>() : 0;
    py::object size = kw.contains("size") ? py::reinterpret_borrow<py::object>(kw["size"]) : py::none();
    int64_t high = kw.contains("high") ? kw["high"].cast<int64_t>() : 0;
    std::vector<int64_t> ints;
    for (auto h : a) {
      if (PyLong_Check(h.ptr())) ints.push_back(h.cast<int64_t>());
      else size = py::reinterpret_borrow<py::object>(h);
    }
    if (ints.size() == 1 && !kw.contains("high")) high = ints[0];
    else if (ints.size() == 2) { low = ints[0]; high = ints[1]; }
    else if (ints.size() == 1) low = ints[0];
    PE_CHECK_TYPE(!size.is_none(), "randint() missing required argument 'size'");
    return randint(low, high, to_dimvector(size, "randint", "size"), parse_options(rest, "randint"));
  });
  m.def("randperm", [](int64_t n, py::kwargs kw) { return randperm(n, parse_options(kw, "randperm")); }, py::arg("n"));
  m.def("_normal_tensors", [](const Tensor& mean, const Tensor& std) { return normal(mean, std); });

  m.def("manual_seed", [](py::handle seed) {
    int64_t s = index_to_int64(seed.ptr());
    manual_seed((uint64_t)s);
  });
  m.def("initial_seed", [] { return initial_seed(); });
  m.def("_rng_state", [] { return py::make_tuple(default_generator().seed(), default_generator().offset()); });
  m.def("_set_rng_state", [](uint64_t seed, uint64_t offset) { default_generator().set_state(seed, offset); });
  m.def("set_num_threads", [](int n) { cpu::set_num_threads(n); });
  m.def("get_num_threads", [] { return cpu::get_num_threads(); });

  // A 1-d tensor over the whole storage of t (from element 0): the data of a TypedStorage.
  m.def("_storage_tensor", [](const Tensor& t) {
    int64_t n = (int64_t)t->storage()->nbytes() / t->itemsize();
    return make_view(t, {n}, {1}, 0);
  });
  m.def("_empty_like", [](const Tensor& t, py::object dtype, py::object device, py::object mf) {
    return empty_like(t, dtype.is_none() ? t.dtype() : to_dtype(dtype), device.is_none() ? t.device() : to_device(device),
                      to_memory_format(mf, "empty_like", MemoryFormat::Preserve));
  }, py::arg("input"), py::arg("dtype") = py::none(), py::arg("device") = py::none(),
     py::arg("memory_format") = py::none());
  m.def("_check_scalar_fits", [](const Scalar& s, DType dt) { check_scalar_fits(s, dt); });
  m.def("_storage_nbytes", [](const Tensor& t) { return t->storage()->nbytes(); });
  m.def("_same_storage", [](const Tensor& a, const Tensor& b) { return a->storage() == b->storage(); });
  m.def("_set_storage", [](Tensor& t, const Tensor& src, int64_t off, py::handle size, py::handle stride) {
    return set_(t, src->storage(), off, to_dimvector(size, "set_", "size"), to_dimvector(stride, "set_", "stride"));
  });
  m.def("_cpu_memory_allocated", [] { return cpu_allocator()->memory_allocated(); });
  m.def("_cpu_memory_reserved", [] { return cpu_allocator()->memory_reserved(); });
  m.def("_cpu_empty_cache", [] { cpu_allocator()->empty_cache(); });
  m.def("_cpu_set_cache_limit", [](size_t bytes) { set_cpu_cache_limit(bytes); });
  m.def("_cpu_cache_limit", [] { return cpu_cache_limit(); });

  // CUDA queries (all answer "no GPU" when the CUDA part is absent).
  m.def("_cuda_compiled", [] { return cuda_compiled(); });
  m.def("_cuda_device_count", [] { return cuda_device_count(); });
  m.def("_cuda_synchronize", [](int d) {
    if (cuda_compiled() && cuda_device_count() > 0) cuda_hooks().synchronize(d);
  });
  m.def("_cuda_set_device", [](int d) {
    PE_CHECK(d >= 0 && d < cuda_device_count(), "Invalid device id ", d, " (", cuda_device_count(), " CUDA devices)");
    cuda_hooks().set_device(d);
  });
  m.def("_cuda_current_device", []() -> int { return cuda_device_count() > 0 ? cuda_hooks().current_device() : 0; });
  m.def("_cuda_empty_cache", [] {
    if (cuda_compiled() && cuda_device_count() > 0) cuda_hooks().empty_cache();
  });
  m.def("_cuda_memory_allocated", [](int d) -> size_t {
    return cuda_compiled() && cuda_device_count() > 0 ? cuda_hooks().memory_allocated(d) : 0;
  });
  m.def("_cuda_memory_reserved", [](int d) -> size_t {
    return cuda_compiled() && cuda_device_count() > 0 ? cuda_hooks().memory_reserved(d) : 0;
  });
  m.def("_cuda_device_name", [](int d) -> std::string {
    PE_CHECK(cuda_device_count() > d, "Invalid device id ", d);
    return cuda_hooks().device_name(d);
  });
}

}  // namespace pe::python

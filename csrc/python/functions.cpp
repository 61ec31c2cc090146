// Module-level functions: factories (with out= and generator=), threads, storage helpers, CUDA queries.
#include "core/cpu_allocator.h"
#include "core/rng.h"
#include "cpu/parallel.h"
#include "ops/stubs.h"
#include "python/common.h"
#include "python/out_arg.h"

namespace pe::python {

namespace {

// f(*size, dtype=, device=, requires_grad=) or f(size=(...), ...)
DimVector factory_sizes(const py::args& args, const py::kwargs& kw, const char* fn) {
  if (args.size() == 0 && kw.contains("size")) return to_dimvector(kw["size"], fn, "size");
  return parse_sizes(args, fn);
}

// A factory's keywords: out= and (for the random ones) generator= are taken here, the rest by
// parse_options (which refuses both, so no factory can drop them).
struct FactoryArgs {
  TensorOptions opt;
  py::object out = py::none();
  Generator* gen = nullptr;
};

FactoryArgs factory_args(const py::kwargs& kw, const char* fn, std::initializer_list<const char*> skip,
                         bool random = false) {
  FactoryArgs a;
  py::kwargs rest;
  for (auto item : kw) {
    std::string k = py::str(item.first);
    bool skipped = false;
    for (auto* key : skip) skipped = skipped || k == key;
    if (skipped) continue;
    if (k == "out") a.out = py::reinterpret_borrow<py::object>(item.second);
    else if (k == "generator" && random) a.gen = to_generator(item.second, fn);
    else rest[item.first] = item.second;
  }
  a.opt = parse_options(rest, fn);
  return a;
}

// Runs make(options) and returns the result, or with out=: makes it with out's dtype and device
// (ops/out.h, factory_out_options) and writes it into out, resized silently as PyTorch's factories.
// `range` (arange, linspace): an out with the right element count keeps its shape (RangeFactories.cpp).
template <class F>
py::object run_factory(const FactoryArgs& a, const char* fn, F make, bool range = false) {
  if (a.out.is_none()) return py::cast(make(a.opt));
  Tensor o = out_arg(a.out, fn);
  TensorOptions opt = factory_out_options(a.opt, o);
  opt.requires_grad = false;
  Tensor r = make(opt);
  if (range && o.numel() == r.numel()) r = reshape(r, o.sizes());
  write_out_checked(o, r, OutDtype::Same, (std::string("aten::") + fn).c_str(), /*warn_resize=*/false);
  if (a.opt.requires_grad) {
    check_requires_grad_dtype(o.dtype());
    o->set_requires_grad(true);
  }
  return a.out;
}

template <class F>
void def_sized_factory(py::module_& m, const char* name, bool random, F f) {
  m.def(name, [name, random, f](py::args args, py::kwargs kw) {
    DimVector sizes = factory_sizes(args, kw, name);
    FactoryArgs a = factory_args(kw, name, {"size"}, random);
    return run_factory(a, name, [&](const TensorOptions& o) { return f(sizes, o, a.gen); });
  });
}

}  // namespace

void bind_functions(py::module_& m) {
  using G = Generator*;
  def_sized_factory(m, "empty", false, [](const DimVector& s, const TensorOptions& o, G) { return empty(s, o); });
  def_sized_factory(m, "zeros", false, [](const DimVector& s, const TensorOptions& o, G) { return zeros(s, o); });
  def_sized_factory(m, "ones", false, [](const DimVector& s, const TensorOptions& o, G) { return ones(s, o); });
  def_sized_factory(m, "rand", true, [](const DimVector& s, const TensorOptions& o, G g) { return rand(s, o, g); });
  def_sized_factory(m, "randn", true, [](const DimVector& s, const TensorOptions& o, G g) { return randn(s, o, g); });

  m.def("full", [](py::handle size, const Scalar& value, py::kwargs kw) {
    DimVector sizes = to_dimvector(size, "full", "size");
    return run_factory(factory_args(kw, "full", {}), "full",
                       [&](const TensorOptions& o) { return full(sizes, value, o); });
  }, py::arg("size"), py::arg("fill_value"));
  m.def("eye", [](int64_t n, py::object mm, py::kwargs kw) {
    int64_t cols = mm.is_none() ? n : mm.cast<int64_t>();
    return run_factory(factory_args(kw, "eye", {}), "eye", [&](const TensorOptions& o) { return eye(n, cols, o); });
  }, py::arg("n"), py::arg("m") = py::none());
  m.def("arange", [](py::args args, py::kwargs kw) {
    std::vector<Scalar> v;
    for (auto a : args) v.push_back(to_scalar(a));
    if (kw.contains("start")) v.insert(v.begin(), to_scalar(kw["start"]));
    if (kw.contains("end")) v.push_back(to_scalar(kw["end"]));
    Scalar step = kw.contains("step") ? to_scalar(kw["step"]) : Scalar(int64_t(1));
    if (v.size() == 3) step = v[2];
    PE_CHECK_TYPE(!v.empty() && v.size() <= 3, "arange() received an invalid combination of arguments");
    Scalar start = v.size() == 1 ? Scalar(int64_t(0)) : v[0];
    Scalar end = v.size() == 1 ? v[0] : v[1];
    FactoryArgs a = factory_args(kw, "arange", {"start", "end", "step"});
    return run_factory(a, "arange", [&](const TensorOptions& o) {
      Tensor r = arange(start, end, step, o);
      // arange's own warning (RangeFactories.cpp) when a non-empty out has another element count
      if (!a.out.is_none() && unwrap(a.out).numel() > 0 && unwrap(a.out).numel() != r.numel()) {
        Tensor out = unwrap(a.out);
        std::string shape = "[";
        for (int64_t i = 0; i < out.dim(); ++i) shape += (i ? ", " : "") + std::to_string(out.sizes()[i]);
        std::string msg = str("The number of elements in the out tensor of shape ", shape, "] is ", out.numel(),
                              " which does not match the computed number of elements ", r.numel(),
                              ". Note that this may occur as a result of rounding error. The out tensor will be "
                              "resized to a tensor of shape (", r.numel(), ",).");
        if (PyErr_WarnEx(PyExc_UserWarning, msg.c_str(), 1) < 0) throw py::error_already_set();
      }
      return r;
    }, /*range=*/true);
  });
  m.def("linspace", [](py::handle start_obj, py::handle end_obj, int64_t steps, py::kwargs kw) {
    // start and end are numbers or 0-d tensors (PyTorch's Tensor overloads), read as their values.
    auto bound = [](py::handle h, const char* which) {
      if (is_tensor(h))
        PE_CHECK(unwrap(h).dim() == 0, "linspace only supports 0-dimensional start and end tensors, but got ", which,
                 " with ", unwrap(h).dim(), " dimension(s).");
      return to_scalar(h);
    };
    const Scalar start = bound(start_obj, "start"), end = bound(end_obj, "end");
    return run_factory(factory_args(kw, "linspace", {}), "linspace",
                       [&](const TensorOptions& o) { return linspace(start, end, steps, o); }, /*range=*/true);
  }, py::arg("start"), py::arg("end"), py::arg("steps"));
  m.def("randint", [](py::args args, py::kwargs kw) {
    // randint(high, size) or randint(low, high, size)
    std::vector<py::handle> a(args.begin(), args.end());
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
    DimVector sizes = to_dimvector(size, "randint", "size");
    FactoryArgs fa = factory_args(kw, "randint", {"low", "high", "size"}, true);
    return run_factory(fa, "randint", [&](const TensorOptions& o) { return randint(low, high, sizes, o, fa.gen); });
  });
  m.def("randperm", [](int64_t n, py::kwargs kw) {
    FactoryArgs a = factory_args(kw, "randperm", {}, true);
    return run_factory(a, "randperm", [&](const TensorOptions& o) { return randperm(n, o, a.gen); });
  }, py::arg("n"));
  m.def("_normal_tensors", [](const Tensor& mean, const Tensor& std, py::handle gen) {
    return normal(mean, std, to_generator(gen, "normal"));
  }, py::arg("mean"), py::arg("std"), py::arg("generator") = py::none());
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

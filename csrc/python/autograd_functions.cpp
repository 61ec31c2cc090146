// pyengine._C._autograd: backward/grad, grad mode, nodes as Python objects, hook handles, and the
// custom Function machinery (PyNode) that pyengine/autograd/function.py drives.
#include "autograd/anomaly_mode.h"
#include "autograd/autocast.h"
#include "autograd/engine.h"
#include "autograd/functions/basic_nodes.h"
#include "autograd/ops_basic.h"
#include "core/determinism.h"
#include "python/autograd_common.h"
#include "python/registry.h"

namespace pe::python {

namespace ag = ::pe::autograd;

std::shared_ptr<ag::Node> NodeRef::get() const {
  if (strong) return strong;
  auto n = weak.lock();
  PE_CHECK(n, "the autograd node of this object was already freed");
  return n;
}

py::object tensor_or_none(const Tensor& t) { return t.defined() ? py::cast(t) : py::none(); }

py::tuple to_py_tuple(const ag::variable_list& v) {
  py::tuple r(v.size());
  for (size_t i = 0; i < v.size(); ++i) r[i] = tensor_or_none(v[i]);
  return r;
}

namespace {

ag::variable_list from_py_seq(py::handle h) {
  ag::variable_list r;
  if (is_tensor(h)) return {unwrap(h)};
  for (auto item : py::iter(h)) r.push_back(item.is_none() ? Tensor() : unwrap(item));
  return r;
}

struct HookHandle {
  std::function<void()> remove;
  void run() {
    if (remove) {
      auto f = std::move(remove);
      remove = nullptr;
      f();
    }
  }
};

// pyengine.autograd.graph._wrap_node; a handle kept forever (a py::object would be released after the
// interpreter is gone, at static destruction).
py::handle g_wrap_node;

}  // namespace

PyNode::~PyNode() {
  if (Py_IsInitialized() && !_Py_IsFinalizing()) {
    py::gil_scoped_acquire gil;
    ctx_ = py::object();
    saved_.clear();
  } else {
    ctx_.release();  // interpreter gone: leak rather than touch Python
  }
}

void PyNode::release_variables() {
  for (auto& s : saved_) s.reset_data();
  released_ = true;
}

bool PyNode::materialize_grads() const {
  py::gil_scoped_acquire gil;
  return py::cast<bool>(ctx_.attr("_materialize_grads"));
}

ag::variable_list PyNode::apply(ag::variable_list&& grads) {
  py::gil_scoped_acquire gil;
  py::object cls = ctx_.attr("_forward_cls");
  py::tuple args(grads.size());
  for (size_t i = 0; i < grads.size(); ++i) args[i] = tensor_or_none(grads[i]);
  py::object r = cls.attr("backward")(ctx_, *args);
  py::tuple res = py::isinstance<py::tuple>(r) ? py::reinterpret_borrow<py::tuple>(r) : py::make_tuple(r);
  size_t n = num_outputs();
  if (res.size() > n) {  // extra Nones are allowed (PyTorch)
    for (size_t i = n; i < res.size(); ++i)
      PE_CHECK(res[i].is_none(), "function ", name_, " returned an incorrect number of gradients (expected ", n,
               ", got ", res.size(), ")");
  }
  PE_CHECK(res.size() >= n, "function ", name_, " returned an incorrect number of gradients (expected ", n, ", got ",
           res.size(), ")");
  ag::variable_list out(n);
  for (size_t i = 0; i < n; ++i) {
    py::handle g = res[i];
    if (g.is_none()) continue;
    PE_CHECK(is_tensor_input_[i], "function ", name_, " returned a gradient different than None at position ", i + 1,
             ", but the corresponding forward input was not a Variable");
    PE_CHECK_TYPE(is_tensor(g), "function ", name_, " returned a non-Tensor gradient at position ", i + 1);
    if (should_compute_output(i)) out[i] = unwrap(g);
  }
  return out;
}

py::object node_to_py(const std::shared_ptr<ag::Node>& n) {
  if (!n) return py::none();
  if (auto* p = dynamic_cast<PyNode*>(n.get())) return p->ctx_;
  if (!g_wrap_node) g_wrap_node = py::object(py::module_::import("pyengine.autograd.graph").attr("_wrap_node")).release();
  NodeRef ref;
  ref.strong = n;
  return g_wrap_node(ref);
}

ag::GradHook py_grad_hook(py::function fn) {
  auto holder = std::make_shared<py::function>(std::move(fn));
  return [holder](const Tensor& g) -> Tensor {
    py::gil_scoped_acquire gil;
    py::object r = (*holder)(g);
    if (r.is_none()) return Tensor();
    PE_CHECK_TYPE(is_tensor(r), "hook returned an object that is not a Tensor or None");
    return unwrap(r);
  };
}

py::object make_hook_handle(std::function<void()> remove) {
  return py::cast(HookHandle{std::move(remove)});
}

namespace {

// The outputs of a custom Function's forward get the PyNode as history (as PyTorch's
// _wrap_outputs): dirty inputs are rebased, non-differentiable outputs get no history, an input
// returned unchanged becomes a new alias with history.
py::tuple record_function(py::object ctx, const std::string& name, py::list inputs, py::tuple outputs,
                          py::list dirty, py::list non_diff, py::list to_save) {
  auto node = std::make_shared<PyNode>(ctx, name);
  std::vector<ag::Edge> edges;
  for (auto in : inputs) {
    bool t = is_tensor(in);
    node->is_tensor_input_.push_back(t);
    edges.push_back(t ? ag::gradient_edge(unwrap(in)) : ag::Edge());
  }
  node->set_next_edges(std::move(edges));
  auto contains = [](py::list l, py::handle o) {
    for (auto x : l)
      if (x.ptr() == o.ptr()) return true;
    return false;
  };
  py::tuple result(outputs.size());
  std::vector<std::pair<PyObject*, Tensor>> replaced;
  for (size_t i = 0; i < outputs.size(); ++i) {
    py::handle o = outputs[i];
    if (!is_tensor(o)) {
      result[i] = o;
      continue;
    }
    Tensor t = unwrap(o);
    if (contains(non_diff, o)) {
      node->add_input_metadata(t);
      result[i] = o;
      continue;
    }
    if (contains(dirty, o)) {
      ag::check_inplace(t);
      ag::rebase_history(t, node);
      result[i] = o;
      continue;
    }
    if (contains(inputs, o)) {  // returned an input as is: an alias carries the history
      Tensor a = ::pe::alias(t, true);
      ag::set_history(a, node);
      replaced.emplace_back(o.ptr(), a);
      result[i] = py::cast(a);
      continue;
    }
    ag::set_history(t, node);
    result[i] = o;
  }
  for (auto s : to_save) {
    if (s.is_none()) {
      node->saved_.emplace_back();
      continue;
    }
    Tensor t = unwrap(s);
    for (auto& [obj, a] : replaced)
      if (obj == s.ptr()) t = a;
    bool is_output = false;
    for (size_t i = 0; i < result.size(); ++i)
      if (is_tensor(result[i]) && unwrap(result[i]).is_same(t)) is_output = true;
    node->saved_.emplace_back(t, is_output);
  }
  NodeRef ref;
  ref.weak = node;
  ctx.attr("_cdata") = py::cast(ref);
  // The ctx lives as long as the node: it owns it from here on.
  return result;
}

void bind_autograd_functions(py::module_& m, TensorClass&) {
  py::module_ a = m.def_submodule("_autograd", "autograd engine bindings");
  py::class_<NodeRef>(a, "_NodeRef")
      .def("name", [](const NodeRef& r) { return r.get()->name(); })
      .def("id", [](const NodeRef& r) { return reinterpret_cast<uintptr_t>(r.get().get()); })
      .def("sequence_nr", [](const NodeRef& r) { return r.get()->sequence_nr(); })
      .def("next_functions", [](const NodeRef& r) {
        auto n = r.get();
        py::tuple t(n->num_outputs());
        for (size_t i = 0; i < n->num_outputs(); ++i)
          t[i] = py::make_tuple(node_to_py(n->next_edge(i).function), n->next_edge(i).input_nr);
        return t;
      })
      .def("variable", [](const NodeRef& r) -> py::object {
        auto* acc = dynamic_cast<ag::AccumulateGrad*>(r.get().get());
        if (!acc) throw py::attribute_error("'" + r.get()->name() + "' object has no attribute 'variable'");
        return py::cast(acc->variable());
      })
      .def("register_hook", [](const NodeRef& r, py::function fn) {
        auto holder = std::make_shared<py::function>(std::move(fn));
        int64_t id = r.get()->add_post_hook([holder](const ag::variable_list& gin, const ag::variable_list& gout) {
          py::gil_scoped_acquire gil;
          py::object res = (*holder)(to_py_tuple(gin), to_py_tuple(gout));
          return res.is_none() ? ag::variable_list{} : from_py_seq(res);
        });
        std::weak_ptr<ag::Node> weak = r.get();
        return make_hook_handle([weak, id] {
          if (auto n = weak.lock()) n->remove_node_hook(id);
        });
      })
      .def("register_prehook", [](const NodeRef& r, py::function fn) {
        auto holder = std::make_shared<py::function>(std::move(fn));
        int64_t id = r.get()->add_pre_hook([holder](const ag::variable_list& gout) {
          py::gil_scoped_acquire gil;
          py::object res = (*holder)(to_py_tuple(gout));
          return res.is_none() ? ag::variable_list{} : from_py_seq(res);
        });
        std::weak_ptr<ag::Node> weak = r.get();
        return make_hook_handle([weak, id] {
          if (auto n = weak.lock()) n->remove_node_hook(id);
        });
      })
      .def("saved_tensors", [](const NodeRef& r) {
        auto* p = dynamic_cast<PyNode*>(r.get().get());
        PE_CHECK(p, "saved_tensors is only available on custom Function nodes");
        PE_CHECK(!p->released_,
                 "Trying to backward through the graph a second time (or directly access saved tensors after they "
                 "have already been freed). Saved intermediate values of the graph are freed when you call "
                 ".backward() or autograd.grad(). Specify retain_graph=True if you need to backward through the graph "
                 "a second time or if you need to access saved tensors after calling backward.");
        py::tuple t(p->saved_.size());
        for (size_t i = 0; i < p->saved_.size(); ++i) t[i] = tensor_or_none(p->saved_[i].unpack());
        return t;
      });
  py::class_<HookHandle>(a, "RemovableHandle")
      .def("remove", &HookHandle::run)
      .def("__enter__", [](py::object self) { return self; })
      .def("__exit__", [](HookHandle& h, py::args) { h.run(); });

  a.def("is_grad_enabled", [] { return ag::GradMode::is_enabled(); });
  a.def("set_grad_enabled", [](bool on) { ag::GradMode::set_enabled(on); }, py::arg("mode"));
  // torch.autograd.set_detect_anomaly / torch.use_deterministic_algorithms: process-wide switches read by the
  // engine (autograd/anomaly_mode.h) and by kernels with an order-dependent fast path (core/determinism.h).
  a.def("_set_anomaly_enabled", [](bool on, bool check_nan) { ag::AnomalyMode::set_enabled(on, check_nan); });
  a.def("_is_anomaly_enabled", [] { return ag::AnomalyMode::is_enabled(); });
  a.def("_is_anomaly_check_nan_enabled", [] { return ag::AnomalyMode::should_check_nan(); });
  a.def("_set_deterministic_algorithms", [](bool on, bool warn_only) { DeterministicAlgorithms::set(on, warn_only); });
  a.def("_deterministic_algorithms", [] { return DeterministicAlgorithms::enabled(); });
  a.def("_deterministic_algorithms_warn_only", [] { return DeterministicAlgorithms::warn_only(); });
  // Autocast state per device type (Note [Autocast] in autograd/autocast.h); pyengine/amp wraps it.
  a.def("_set_autocast", [](const std::string& device_type, bool enabled, py::handle dtype) {
    const int d = device_type == "cpu" ? 0 : device_type == "cuda" ? 1 : -1;
    PE_CHECK_VALUE(d >= 0, "autocast: unsupported device_type ", device_type);
    ag::autocast::t_state.enabled[d] = enabled;
    ag::autocast::t_state.dtype[d] = to_dtype(dtype);
  });
  a.def("_get_autocast", [](const std::string& device_type) {
    const int d = device_type == "cpu" ? 0 : device_type == "cuda" ? 1 : -1;
    PE_CHECK_VALUE(d >= 0, "autocast: unsupported device_type ", device_type);
    return py::make_tuple(ag::autocast::t_state.enabled[d], dtype_object(ag::autocast::t_state.dtype[d]));
  });
  a.def("is_inference_mode_enabled", [] { return ag::InferenceMode::is_enabled(); });
  a.def("_set_inference_mode", [](bool on) { ag::InferenceMode::set_enabled(on); }, py::arg("mode"));
  a.def("backward", [](py::handle tensors, py::handle grads, bool keep, bool create, py::handle inputs) {
    ag::variable_list ts = from_py_seq(tensors);
    ag::variable_list gs = grads.is_none() ? ag::variable_list{} : from_py_seq(grads);
    ag::variable_list ins = inputs.is_none() ? ag::variable_list{} : from_py_seq(inputs);
    ag::backward(ts, gs, keep, create, ins);
  }, py::arg("tensors"), py::arg("grad_tensors"), py::arg("retain_graph"), py::arg("create_graph"),
     py::arg("inputs"));
  a.def("grad", [](py::handle outputs, py::handle inputs, py::handle grads, bool keep, bool create, bool unused) {
    ag::variable_list os = from_py_seq(outputs);
    ag::variable_list ins = from_py_seq(inputs);
    ag::variable_list gs = grads.is_none() ? ag::variable_list{} : from_py_seq(grads);
    return to_py_tuple(ag::grad(os, gs, ins, keep, create, unused));
  }, py::arg("outputs"), py::arg("inputs"), py::arg("grad_outputs"), py::arg("retain_graph"),
     py::arg("create_graph"), py::arg("allow_unused"));
  a.def("_record_function", &record_function);
}

}  // namespace

PE_PY_BINDINGS(bind_autograd_functions);

}  // namespace pe::python

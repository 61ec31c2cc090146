// The autograd's Python surface on tensors: requires_grad, grad, grad_fn, is_leaf, backward,
// detach, data, retain_grad, register_hook. Module-level functions are in autograd_functions.cpp.
#include "autograd/engine.h"
#include "autograd/ops_basic.h"
#include "python/autograd_common.h"
#include "python/registry.h"

namespace pe::python {
namespace {

namespace ag = ::pe::autograd;

TensorList tensor_seq(py::handle h) {
  TensorList r;
  if (h.is_none()) return r;
  if (is_tensor(h)) return {unwrap(h)};
  for (auto item : py::iter(h)) r.push_back(item.is_none() ? Tensor() : unwrap(item));
  return r;
}

void set_requires_grad(const Tensor& t, bool r) {
  if (r) check_requires_grad_dtype(t.dtype());
  if (!r && ag::grad_fn(t))
    throw Error("you can only change requires_grad flags of leaf variables. If you want to use a computed variable "
                "in a subgraph that doesn't require differentiation use var_no_grad = var.detach().");
  t->set_requires_grad(r);
}

py::object get_grad(const Tensor& t) {
  auto* m = ag::meta_or_null(t);
  if (ag::grad_fn(t) && !(m && m->retains_grad))
    PyErr_WarnEx(PyExc_UserWarning,
                 "The .grad attribute of a Tensor that is not a leaf Tensor is being accessed. Its .grad attribute "
                 "won't be populated during autograd.backward(). If you indeed want the .grad field to be populated "
                 "for a non-leaf Tensor, use .retain_grad() on the non-leaf Tensor. If you access the non-leaf Tensor "
                 "by mistake, make sure you access the leaf Tensor instead. See github.com/pytorch/pytorch/pull/30531 "
                 "for more informations.", 1);
  return m ? tensor_or_none(m->grad) : py::none();
}

void set_grad(const Tensor& t, py::handle g) {
  if (g.is_none()) {
    if (auto* m = ag::meta_or_null(t)) m->grad = Tensor();
    return;
  }
  PE_CHECK_TYPE(is_tensor(g), "assigned grad expected to be a Tensor or None but got grad of type ",
                std::string(py::str(py::type::handle_of(g).attr("__name__"))));
  Tensor gt = unwrap(g);
  PE_CHECK(!gt.is_same(t), "can't assign Variable as its own grad");
  PE_CHECK(gt.dtype() == t.dtype(), "assigned grad has data of a different type");
  PE_CHECK(gt.device() == t.device(), "assigned grad has data located on a different device");
  PE_CHECK(gt.sizes() == t.sizes(), "assigned grad has data of a different size");
  ag::meta(t).grad = gt;
}

int64_t register_hook(const Tensor& t, py::function fn, std::function<void()>& remove) {
  PE_CHECK(ag::requires_grad(t), "cannot register a hook on a tensor that doesn't require gradient");
  ag::GradHook hook = py_grad_hook(std::move(fn));
  if (auto node = ag::grad_fn(t)) {
    int64_t id = node->add_tensor_hook(ag::meta(t).output_nr, std::move(hook));
    std::weak_ptr<ag::Node> weak = node;
    remove = [weak, id] {
      if (auto n = weak.lock()) n->remove_tensor_hook(id);
    };
    return id;
  }
  int64_t id = ag::new_hook_id();
  ag::meta(t).leaf_hooks.emplace_back(id, std::move(hook));
  std::weak_ptr<TensorImpl> weak = t.impl_ptr();
  remove = [weak, id] {
    auto impl = weak.lock();
    if (!impl) return;
    auto* m = static_cast<ag::AutogradMeta*>(impl->autograd_meta());
    if (!m) return;
    auto& hs = m->leaf_hooks;
    for (auto it = hs.begin(); it != hs.end(); ++it)
      if (it->first == id) {
        hs.erase(it);
        break;
      }
  };
  return id;
}

void bind_autograd_tensor(py::module_& m, TensorClass& cls) {
  cls.def_property("requires_grad", [](const Tensor& t) { return ag::requires_grad(t); }, &set_requires_grad)
      .def("requires_grad_", [](const Tensor& t, bool r) {
        set_requires_grad(t, r);
        return t;
      }, py::arg("requires_grad") = true)
      .def_property_readonly("grad_fn", [](const Tensor& t) { return node_to_py(ag::grad_fn(t)); })
      .def_property_readonly("is_leaf", [](const Tensor& t) { return ag::grad_fn(t) == nullptr; })
      .def_property_readonly("output_nr", [](const Tensor& t) {
        auto* mt = ag::meta_or_null(t);
        return mt ? mt->output_nr : 0u;
      })
      .def_property_readonly("retains_grad", [](const Tensor& t) {
        auto* mt = ag::meta_or_null(t);
        return mt && mt->retains_grad && ag::grad_fn(t) != nullptr;
      })
      .def_property_readonly("_base", [](const Tensor& t) -> py::object {
        auto* mt = ag::meta_or_null(t);
        return mt && mt->is_view ? py::cast(mt->base) : py::none();
      })
      .def("_is_view", [](const Tensor& t) {
        auto* mt = ag::meta_or_null(t);
        return mt && mt->is_view;
      })
      .def("retain_grad", [](const Tensor& t) { ag::retain_grad(t); })
      .def("register_hook", [](const Tensor& t, py::function fn) {
        std::function<void()> remove;
        register_hook(t, std::move(fn), remove);
        return make_hook_handle(std::move(remove));
      }, py::arg("hook"))
      .def("backward", [](const Tensor& t, py::handle gradient, py::handle retain_graph, bool create_graph,
                          py::handle inputs) {
        TensorList grads;
        if (!gradient.is_none()) grads.push_back(unwrap(gradient));
        bool keep = retain_graph.is_none() ? create_graph : retain_graph.cast<bool>();
        TensorList ins = tensor_seq(inputs);
        PE_CHECK(inputs.is_none() || !ins.empty(), "'inputs' argument to backward() cannot be empty.");
        ag::backward({t}, grads, keep, create_graph, ins);
      }, py::arg("gradient") = py::none(), py::arg("retain_graph") = py::none(), py::arg("create_graph") = false,
         py::arg("inputs") = py::none())
      .def("detach", [](const Tensor& t) { return ag::detach(t); })
      .def("detach_", [](const Tensor& t) {
        auto* mt = ag::meta_or_null(t);
        PE_CHECK(!(mt && mt->is_view && ag::requires_grad(t)),
                 "Can't detach views in-place. Use detach() instead. If you are using DistributedDataParallel (DDP) "
                 "for training, and gradient_as_bucket_view is set as True, gradients are views of DDP buckets, and "
                 "hence detach_() cannot be called on these gradients. To fix this error, please refer to the "
                 "Optimizer.zero_grad() function in torch/optim/optimizer.py as the solution.");
        if (mt) {
          mt->grad_fn.reset();
          mt->output_nr = 0;
        }
        t->set_requires_grad(false);
        return t;
      })
      .def_property("data", [](const Tensor& t) { return alias(t, /*share_version=*/false); },
                    [](Tensor& t, py::handle h) {
                      // PyTorch's set_data: any dtype, shape or device; the tensor keeps its version
                      // counter and autograd meta, and a leaf's cached AccumulateGrad is dropped when
                      // its dtype or device changes (a new one is made with the new metadata).
                      PE_CHECK_TYPE(is_tensor(h), "Variable data has to be a tensor, but got ",
                                    std::string(py::str(py::type::handle_of(h).attr("__name__"))));
                      Tensor src = unwrap(h);
                      PE_CHECK(!t->requires_grad() || ag::is_differentiable_dtype(src.dtype()),
                               "data set to a tensor that requires gradients must be floating point or complex dtype");
                      if (auto* m = ag::meta_or_null(t); m && (src.dtype() != t.dtype() || src.device() != t.device()))
                        m->grad_accumulator.reset();
                      t->set_data_from(*src.impl_ptr());
                    });
  // .grad: a property with a deleter (del x.grad), which pybind11's def_property lacks.
  py::object prop = py::module_::import("builtins").attr("property");
  cls.attr("grad") = prop(py::cpp_function([](const Tensor& t) { return get_grad(t); }),
                          py::cpp_function([](const Tensor& t, py::handle g) { set_grad(t, g); }),
                          py::cpp_function([](const Tensor& t) { set_grad(t, py::none()); }));
  (void)m;
}

}  // namespace

PE_PY_BINDINGS(bind_autograd_tensor);

}  // namespace pe::python

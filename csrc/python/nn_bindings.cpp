// Bindings of the nn ops: the kernels as pyengine._C._nn.* (pyengine/nn/functional.py gives them
// PyTorch's signatures), the torch.* module-level forms that PyTorch has (conv2d, max_pool2d,
// softmax, log_softmax, dropout, batch_norm, layer_norm, bernoulli, ...) and the Tensor methods
// softmax / log_softmax / bernoulli_. Int-or-tuple arguments are expanded here.
#include "autograd/ops_nn.h"
#include "ops/nn.h"
#include "python/out_arg.h"
#include "python/registry.h"

namespace pe::python {

namespace {

// The differentiable ops bind their pe::autograd wrappers (same signatures as the plain ops); the
// backward kernels exposed as _nn.*_backward stay plain except where a differentiable form exists.
namespace ag = ::pe::autograd;

// An int (repeated n times) or a sequence of ints; an empty sequence stays empty.
DimVector int_or_seq(py::handle h, size_t n) {
  if (PyLong_Check(h.ptr()) || is_tensor(h)) return DimVector(n, index_to_int64(h));
  DimVector v;
  for (auto item : py::reinterpret_borrow<py::sequence>(h)) v.push_back(index_to_int64(item));
  if (v.size() == 1 && n > 1) v.resize(n, v[0]);
  return v;
}

Reduction red(const std::string& s) { return reduction_from_string(s); }
// Optional tensor arguments (None allowed): the Tensor caster refuses None, std::optional takes it.
using OptTensor = std::optional<Tensor>;
Tensor opt(const OptTensor& t) { return t ? *t : Tensor(); }
std::optional<DType> opt_dtype(py::handle h) { return h.is_none() ? std::nullopt : std::optional<DType>(to_dtype(h)); }

py::tuple tup(const std::tuple<Tensor, Tensor>& t) { return py::make_tuple(std::get<0>(t), std::get<1>(t)); }
py::tuple tup(const std::tuple<Tensor, Tensor, Tensor>& t) {
  return py::make_tuple(std::get<0>(t), std::get<1>(t), std::get<2>(t));
}
std::array<bool, 3> mask3(py::handle h) {
  auto v = h.cast<std::vector<bool>>();
  PE_CHECK(v.size() == 3, "output_mask must have 3 entries");
  return {v[0], v[1], v[2]};
}

Tensor conv2d_py(const Tensor& input, const Tensor& weight, const OptTensor& bias, py::handle stride,
                 py::handle padding, py::handle dilation, int64_t groups) {
  if (py::isinstance<py::str>(padding))
    return ag::conv2d_padding(input, weight, opt(bias), int_or_seq(stride, 2), padding.cast<std::string>(),
                          int_or_seq(dilation, 2), groups);
  return ag::conv2d(input, weight, opt(bias), int_or_seq(stride, 2), int_or_seq(padding, 2), int_or_seq(dilation, 2),
                groups);
}

void bind_conv(py::module_& nn) {
  nn.def("conv2d", &conv2d_py, py::arg("input"), py::arg("weight"), py::arg("bias") = py::none(),
         py::arg("stride") = 1, py::arg("padding") = 0, py::arg("dilation") = 1, py::arg("groups") = 1);
  nn.def("conv2d_backward_input", [](const Tensor& go, const Tensor& w, py::handle input_size, py::handle stride,
                                     py::handle padding, py::handle dilation, int64_t groups) {
    return conv2d_backward_input(go, w, int_or_seq(input_size, 0), int_or_seq(stride, 2), int_or_seq(padding, 2),
                                 int_or_seq(dilation, 2), groups);
  }, py::arg("grad_output"), py::arg("weight"), py::arg("input_size"), py::arg("stride") = 1, py::arg("padding") = 0,
     py::arg("dilation") = 1, py::arg("groups") = 1);
  nn.def("conv2d_backward_weight", [](const Tensor& go, const Tensor& x, py::handle weight_size, py::handle stride,
                                      py::handle padding, py::handle dilation, int64_t groups) {
    return conv2d_backward_weight(go, x, int_or_seq(weight_size, 0), int_or_seq(stride, 2), int_or_seq(padding, 2),
                                  int_or_seq(dilation, 2), groups);
  }, py::arg("grad_output"), py::arg("input"), py::arg("weight_size"), py::arg("stride") = 1,
     py::arg("padding") = 0, py::arg("dilation") = 1, py::arg("groups") = 1);
  nn.def("conv2d_backward_bias", &conv2d_backward_bias, py::arg("grad_output"));
  nn.def("linear", [](const Tensor& x, const Tensor& w, const OptTensor& b) { return ag::linear(x, w, opt(b)); },
         py::arg("input"), py::arg("weight"), py::arg("bias") = py::none());
  nn.def("constant_pad_nd", [](const Tensor& x, py::handle pad, const Scalar& value) {
    return ag::constant_pad_nd(x, int_or_seq(pad, 0), value);
  }, py::arg("input"), py::arg("pad"), py::arg("value") = 0);
  nn.def("pad", [](const Tensor& x, py::handle p, const std::string& mode, std::optional<double> value) {
    return ag::pad(x, int_or_seq(p, 0), mode, value);
  }, py::arg("input"), py::arg("pad"), py::arg("mode") = "constant", py::arg("value") = py::none());
}

void bind_pool(py::module_& nn) {
  nn.def("max_pool2d_with_indices", [](const Tensor& x, py::handle k, py::handle s, py::handle p, py::handle d,
                                       bool ceil_mode) {
    return tup(ag::max_pool2d_with_indices(x, int_or_seq(k, 2), s.is_none() ? DimVector{} : int_or_seq(s, 2),
                                       int_or_seq(p, 2), int_or_seq(d, 2), ceil_mode));
  }, py::arg("input"), py::arg("kernel_size"), py::arg("stride") = py::none(), py::arg("padding") = 0,
     py::arg("dilation") = 1, py::arg("ceil_mode") = false);
  nn.def("max_pool2d_backward", &ag::max_pool2d_backward, py::arg("grad_output"), py::arg("input"), py::arg("indices"));
  auto avg_args = [](py::handle s) { return s.is_none() ? DimVector{} : int_or_seq(s, 2); };
  nn.def("avg_pool2d", [avg_args](const Tensor& x, py::handle k, py::handle s, py::handle p, bool ceil_mode,
                                  bool count_include_pad, std::optional<int64_t> divisor) {
    return ag::avg_pool2d(x, int_or_seq(k, 2), avg_args(s), int_or_seq(p, 2), ceil_mode, count_include_pad, divisor);
  }, py::arg("input"), py::arg("kernel_size"), py::arg("stride") = py::none(), py::arg("padding") = 0,
     py::arg("ceil_mode") = false, py::arg("count_include_pad") = true, py::arg("divisor_override") = py::none());
  nn.def("avg_pool2d_backward", [avg_args](const Tensor& go, const Tensor& x, py::handle k, py::handle s,
                                           py::handle p, bool ceil_mode, bool count_include_pad,
                                           std::optional<int64_t> divisor) {
    return ag::avg_pool2d_backward(go, x, int_or_seq(k, 2), avg_args(s), int_or_seq(p, 2), ceil_mode, count_include_pad,
                               divisor);
  }, py::arg("grad_output"), py::arg("input"), py::arg("kernel_size"), py::arg("stride") = py::none(),
     py::arg("padding") = 0, py::arg("ceil_mode") = false, py::arg("count_include_pad") = true,
     py::arg("divisor_override") = py::none());
  nn.def("adaptive_avg_pool2d", [](const Tensor& x, py::handle size) {
    return ag::adaptive_avg_pool2d(x, int_or_seq(size, 2));
  }, py::arg("input"), py::arg("output_size"));
  nn.def("adaptive_avg_pool2d_backward", &ag::adaptive_avg_pool2d_backward, py::arg("grad_output"), py::arg("input"));
}

void bind_softmax(py::module_& m, py::module_& nn, TensorClass& cls) {
  for (bool log : {false, true}) {
    auto f = [log](const Tensor& x, int64_t dim, py::handle dtype) {
      return log ? ag::log_softmax(x, dim, opt_dtype(dtype)) : ag::softmax(x, dim, opt_dtype(dtype));
    };
    const char* name = log ? "log_softmax" : "softmax";
    nn.def(name, f, py::arg("input"), py::arg("dim"), py::arg("dtype") = py::none());
    m.def(name, f, py::arg("input"), py::arg("dim"), py::arg("dtype") = py::none());
    cls.def(name, f, py::arg("dim"), py::arg("dtype") = py::none());
  }
  nn.def("softmax_backward", &ag::softmax_backward, py::arg("grad_output"), py::arg("output"), py::arg("dim"));
  nn.def("log_softmax_backward", &ag::log_softmax_backward, py::arg("grad_output"), py::arg("output"), py::arg("dim"));
}

void bind_losses(py::module_& nn) {
  nn.def("nll_loss_forward", [](const Tensor& x, const Tensor& t, const OptTensor& w, const std::string& r,
                                int64_t ii) {
    return tup(ag::nll_loss_forward(x, t, opt(w), red(r), ii));
  }, py::arg("input"), py::arg("target"), py::arg("weight") = py::none(), py::arg("reduction") = "mean",
     py::arg("ignore_index") = -100);
  nn.def("nll_loss", [](const Tensor& x, const Tensor& t, const OptTensor& w, const std::string& r, int64_t ii) {
    return ag::nll_loss(x, t, opt(w), red(r), ii);
  }, py::arg("input"), py::arg("target"), py::arg("weight") = py::none(), py::arg("reduction") = "mean",
     py::arg("ignore_index") = -100);
  nn.def("nll_loss_backward", [](const Tensor& g, const Tensor& x, const Tensor& t, const OptTensor& w,
                                 const std::string& r, int64_t ii, const Tensor& tw) {
    return ag::nll_loss_backward(g, x, t, opt(w), red(r), ii, tw);
  }, py::arg("grad_output"), py::arg("input"), py::arg("target"), py::arg("weight"), py::arg("reduction"),
     py::arg("ignore_index"), py::arg("total_weight"));
  nn.def("nll_loss_smooth", [](const Tensor& x, const Tensor& t, const OptTensor& w, const std::string& r,
                               int64_t ii) {
    return ag::nll_loss_smooth(x, t, opt(w), red(r), ii);
  }, py::arg("input"), py::arg("target"), py::arg("weight") = py::none(), py::arg("reduction") = "mean",
     py::arg("ignore_index") = -100);
  nn.def("nll_loss_smooth_backward", [](const Tensor& g, const Tensor& x, const Tensor& t, const OptTensor& w,
                                        const std::string& r, int64_t ii) {
    return nll_loss_smooth_backward(g, x, t, opt(w), red(r), ii);
  }, py::arg("grad_output"), py::arg("input"), py::arg("target"), py::arg("weight"), py::arg("reduction"),
     py::arg("ignore_index"));
  nn.def("soft_nll_loss", [](const Tensor& x, const Tensor& t, const OptTensor& w, const std::string& r) {
    return ag::soft_nll_loss(x, t, opt(w), red(r));
  }, py::arg("input"), py::arg("target"), py::arg("weight") = py::none(), py::arg("reduction") = "mean");
  nn.def("soft_nll_loss_backward", [](const Tensor& g, const Tensor& x, const Tensor& t, const OptTensor& w,
                                      const std::string& r) {
    return tup(soft_nll_loss_backward(g, x, t, opt(w), red(r)));
  }, py::arg("grad_output"), py::arg("input"), py::arg("target"), py::arg("weight"), py::arg("reduction"));
  nn.def("cross_entropy", [](const Tensor& x, const Tensor& t, const OptTensor& w, const std::string& r, int64_t ii,
                             double ls) { return ag::cross_entropy(x, t, opt(w), red(r), ii, ls); },
         py::arg("input"), py::arg("target"), py::arg("weight") = py::none(), py::arg("reduction") = "mean",
         py::arg("ignore_index") = -100, py::arg("label_smoothing") = 0.0);

  using Fwd = Tensor (*)(const Tensor&, const Tensor&, Reduction, const Tensor&);
  using Bwd = Tensor (*)(const Tensor&, const Tensor&, const Tensor&, Reduction, const Tensor&);
  auto weighted = [&](const char* name, Fwd f, Bwd b) {
    nn.def(name, [f](const Tensor& x, const Tensor& t, const std::string& r, const OptTensor& w) {
      return f(x, t, red(r), opt(w));
    }, py::arg("input"), py::arg("target"), py::arg("reduction") = "mean", py::arg("weight") = py::none());
    nn.def((std::string(name) + "_backward").c_str(), [b](const Tensor& g, const Tensor& x, const Tensor& t,
                                                          const std::string& r, const OptTensor& w) {
      return b(g, x, t, red(r), opt(w));
    }, py::arg("grad_output"), py::arg("input"), py::arg("target"), py::arg("reduction") = "mean",
       py::arg("weight") = py::none());
  };
  weighted("mse_loss", &ag::mse_loss, &mse_loss_backward);
  weighted("l1_loss", &ag::l1_loss, &l1_loss_backward);
  nn.def("smooth_l1_loss", [](const Tensor& x, const Tensor& t, const std::string& r, double beta) {
    return ag::smooth_l1_loss(x, t, red(r), beta);
  }, py::arg("input"), py::arg("target"), py::arg("reduction") = "mean", py::arg("beta") = 1.0);
  nn.def("smooth_l1_loss_backward", [](const Tensor& g, const Tensor& x, const Tensor& t, const std::string& r,
                                       double beta) { return smooth_l1_loss_backward(g, x, t, red(r), beta); },
         py::arg("grad_output"), py::arg("input"), py::arg("target"), py::arg("reduction") = "mean",
         py::arg("beta") = 1.0);
  nn.def("binary_cross_entropy", [](const Tensor& x, const Tensor& t, const OptTensor& w, const std::string& r) {
    return ag::binary_cross_entropy(x, t, opt(w), red(r));
  }, py::arg("input"), py::arg("target"), py::arg("weight") = py::none(), py::arg("reduction") = "mean");
  nn.def("binary_cross_entropy_backward", [](const Tensor& g, const Tensor& x, const Tensor& t, const OptTensor& w,
                                             const std::string& r) {
    return binary_cross_entropy_backward(g, x, t, opt(w), red(r));
  }, py::arg("grad_output"), py::arg("input"), py::arg("target"), py::arg("weight") = py::none(),
     py::arg("reduction") = "mean");
  nn.def("binary_cross_entropy_with_logits", [](const Tensor& x, const Tensor& t, const OptTensor& w,
                                                const OptTensor& pw, const std::string& r) {
    return ag::binary_cross_entropy_with_logits(x, t, opt(w), opt(pw), red(r));
  }, py::arg("input"), py::arg("target"), py::arg("weight") = py::none(), py::arg("pos_weight") = py::none(),
     py::arg("reduction") = "mean");
  nn.def("binary_cross_entropy_with_logits_backward", [](const Tensor& g, const Tensor& x, const Tensor& t,
                                                         const OptTensor& w, const OptTensor& pw,
                                                         const std::string& r) {
    return binary_cross_entropy_with_logits_backward(g, x, t, opt(w), opt(pw), red(r));
  }, py::arg("grad_output"), py::arg("input"), py::arg("target"), py::arg("weight") = py::none(),
     py::arg("pos_weight") = py::none(), py::arg("reduction") = "mean");
}

void bind_norm_dropout(py::module_& m, py::module_& nn, TensorClass& cls) {
  auto bn = [](const Tensor& x, const OptTensor& w, const OptTensor& b, const OptTensor& rm, const OptTensor& rv,
               bool training, double momentum, double eps) {
    return tup(ag::native_batch_norm(x, opt(w), opt(b), opt(rm), opt(rv), training, momentum, eps));
  };
  for (py::module_* mod : {&m, &nn})
    mod->def("native_batch_norm", bn, py::arg("input"), py::arg("weight"), py::arg("bias"), py::arg("running_mean"),
             py::arg("running_var"), py::arg("training"), py::arg("momentum"), py::arg("eps"));
  nn.def("native_batch_norm_backward", [](const Tensor& go, const Tensor& x, const OptTensor& w, const OptTensor& rm,
                                          const OptTensor& rv, const OptTensor& sm, const OptTensor& si, bool train,
                                          double eps, py::handle mask) {
    return tup(
        native_batch_norm_backward(go, x, opt(w), opt(rm), opt(rv), opt(sm), opt(si), train, eps, mask3(mask)));
  }, py::arg("grad_out"), py::arg("input"), py::arg("weight"), py::arg("running_mean"), py::arg("running_var"),
     py::arg("save_mean"), py::arg("save_invstd"), py::arg("train"), py::arg("eps"),
     py::arg("output_mask") = std::vector<bool>{true, true, true});
  // torch.batch_norm(input, weight, bias, running_mean, running_var, training, momentum, eps, cudnn_enabled)
  m.def("batch_norm", [](const Tensor& x, const OptTensor& w, const OptTensor& b, const OptTensor& rm,
                         const OptTensor& rv,
                         bool training, double momentum, double eps, bool) {
    return ag::batch_norm(x, opt(rm), opt(rv), opt(w), opt(b), training, momentum, eps);
  }, py::arg("input"), py::arg("weight"), py::arg("bias"), py::arg("running_mean"), py::arg("running_var"),
     py::arg("training"), py::arg("momentum"), py::arg("eps"), py::arg("cudnn_enabled") = true);
  nn.def("batch_norm", [](const Tensor& x, const OptTensor& rm, const OptTensor& rv, const OptTensor& w,
                          const OptTensor& b,
                          bool training, double momentum, double eps) {
    return ag::batch_norm(x, opt(rm), opt(rv), opt(w), opt(b), training, momentum, eps);
  }, py::arg("input"), py::arg("running_mean"), py::arg("running_var"), py::arg("weight") = py::none(),
     py::arg("bias") = py::none(), py::arg("training") = false, py::arg("momentum") = 0.1, py::arg("eps") = 1e-5);
  auto ln = [](const Tensor& x, py::handle shape, const OptTensor& w, const OptTensor& b, double eps, bool) {
    return ag::layer_norm(x, int_or_seq(shape, 1), opt(w), opt(b), eps);
  };
  for (py::module_* mod : {&m, &nn})
    mod->def("layer_norm", ln, py::arg("input"), py::arg("normalized_shape"), py::arg("weight") = py::none(),
             py::arg("bias") = py::none(), py::arg("eps") = 1e-5, py::arg("cudnn_enable") = true);
  auto nln = [](const Tensor& x, py::handle shape, const OptTensor& w, const OptTensor& b, double eps) {
    return tup(ag::native_layer_norm(x, int_or_seq(shape, 1), opt(w), opt(b), eps));
  };
  for (py::module_* mod : {&m, &nn})
    mod->def("native_layer_norm", nln, py::arg("input"), py::arg("normalized_shape"), py::arg("weight"),
             py::arg("bias"), py::arg("eps"));
  nn.def("native_layer_norm_backward", [](const Tensor& go, const Tensor& x, py::handle shape, const Tensor& mean,
                                          const Tensor& rstd, const OptTensor& w, const OptTensor& b, py::handle mask) {
    return tup(native_layer_norm_backward(go, x, int_or_seq(shape, 1), mean, rstd, opt(w), opt(b), mask3(mask)));
  }, py::arg("grad_out"), py::arg("input"), py::arg("normalized_shape"), py::arg("mean"), py::arg("rstd"),
     py::arg("weight"), py::arg("bias"), py::arg("output_mask") = std::vector<bool>{true, true, true});

  for (py::module_* mod : {&m, &nn}) {
    mod->def("native_dropout", [](const Tensor& x, double p, std::optional<bool> train) {
      return tup(ag::native_dropout(x, p, train.value_or(true)));
    }, py::arg("input"), py::arg("p"), py::arg("train"));
    mod->def("dropout", [](const Tensor& x, double p, bool train) { return ag::dropout(x, p, train); }, py::arg("input"),
             py::arg("p"), py::arg("train"));
    mod->def("dropout_", [](Tensor& x, double p, bool train) { return ag::dropout_(x, p, train); }, py::arg("input"),
             py::arg("p"), py::arg("train"));
  }
  nn.def("native_dropout_backward", &native_dropout_backward, py::arg("grad_output"), py::arg("mask"),
         py::arg("scale"));
  m.def("bernoulli", [](const Tensor& probs, py::handle p, py::handle gen, py::handle out) {
    Generator* g = to_generator(gen, "bernoulli");
    Tensor r;
    if (p.is_none()) {
      r = bernoulli(probs, g);
    } else {
      r = make_empty(probs.sizes(), probs.dtype(), probs.device());
      bernoulli_(r, p.cast<double>(), g);
    }
    return with_out(out, r, "bernoulli", OutDtype::Same);
  }, py::arg("input"), py::arg("p") = py::none(), py::kw_only(), py::arg("generator") = py::none(),
     py::arg("out") = py::none());
  cls.def("bernoulli_", [](Tensor& t, py::handle p, py::handle gen) -> Tensor {
    Generator* g = to_generator(gen, "bernoulli_");
    if (is_tensor(p)) return bernoulli_(t, unwrap(p), g);
    return bernoulli_(t, p.cast<double>(), g);
  }, py::arg("p") = 0.5, py::kw_only(), py::arg("generator") = py::none());
  cls.def("bernoulli", [](const Tensor& t, py::handle p, py::handle gen) {
    Generator* g = to_generator(gen, "bernoulli");
    if (p.is_none()) return bernoulli(t, g);
    Tensor r = make_empty(t.sizes(), t.dtype(), t.device());
    return bernoulli_(r, p.cast<double>(), g);
  }, py::arg("p") = py::none(), py::kw_only(), py::arg("generator") = py::none());
}

void bind_nn(py::module_& m, TensorClass& cls) {
  py::module_ nn = m.def_submodule("_nn", "nn kernels (pyengine.nn.functional wraps them)");
  bind_conv(nn);
  bind_pool(nn);
  bind_softmax(m, nn, cls);
  bind_losses(nn);
  bind_norm_dropout(m, nn, cls);
}

}  // namespace

PE_PY_BINDINGS(bind_nn);

}  // namespace pe::python

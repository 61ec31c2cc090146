// Binding of the RNN layer: _C._rnn_layer(mode, x, batch_sizes, h0, c0, w_hh, b_hh, w_hr, reverse), used by
// pyengine/nn/_rnn_impl.py (Note [RNN layer] in csrc/ops/nn_rnn.cpp).
#include "autograd/ops_rnn.h"
#include "python/registry.h"

namespace pe::python {

namespace {

using OptTensor = std::optional<Tensor>;
Tensor opt(const OptTensor& t) { return t ? *t : Tensor(); }

void bind_rnn(py::module_& m, TensorClass&) {
  m.def(
      "_rnn_layer",
      [](const std::string& mode, const Tensor& x, const std::vector<int64_t>& batch_sizes, const Tensor& h0,
         const OptTensor& c0, const Tensor& w_hh, const OptTensor& b_hh, const OptTensor& w_hr, bool reverse) {
        auto [out, hn, cn] = ::pe::autograd::rnn_layer(rnn_mode_from_string(mode), x, batch_sizes, h0, opt(c0),
                                                       w_hh, opt(b_hh), opt(w_hr), reverse);
        return py::make_tuple(out, hn, cn.defined() ? py::cast(cn) : py::none());
      },
      py::arg("mode"), py::arg("x"), py::arg("batch_sizes"), py::arg("h0"), py::arg("c0"), py::arg("w_hh"),
      py::arg("b_hh"), py::arg("w_hr"), py::arg("reverse"));
}

}  // namespace

PE_PY_BINDINGS(bind_rnn);

}  // namespace pe::python

// Binding of the fused attention: _C._flash_attention(query, key, value, attn_mask, is_causal, scale), used by
// nn.functional.scaled_dot_product_attention (pyengine/nn/_functional_attention.py) when it applies.
#include "autograd/ops_attention.h"
#include "python/registry.h"

namespace pe::python {

namespace {

void bind_attention(py::module_& m, TensorClass&) {
  m.def(
      "_flash_attention",
      [](const Tensor& q, const Tensor& k, const Tensor& v, const std::optional<Tensor>& mask, bool is_causal,
         double scale) { return ::pe::autograd::flash_attention(q, k, v, mask ? *mask : Tensor(), is_causal, scale); },
      py::arg("query"), py::arg("key"), py::arg("value"), py::arg("attn_mask") = py::none(),
      py::arg("is_causal") = false, py::arg("scale") = 1.0);
}

}  // namespace

PE_PY_BINDINGS(bind_attention);

}  // namespace pe::python

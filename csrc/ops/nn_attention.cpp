// The op layer of the fused attention (ops/nn_attention.h): argument checks, flattening the batch dims
// into one, the mask's strided view, output allocation.
#include "ops/nn_attention.h"

#include "ops/nn_util.h"
#include "ops/ops.h"

namespace pe {

DispatchStub<FlashAttentionFn> flash_attention_stub("scaled_dot_product_attention");
DispatchStub<FlashAttentionBackwardFn> flash_attention_backward_stub("scaled_dot_product_attention_backward");

namespace {

struct Geometry {
  DimVector batch;  // the batch dims of query
  int64_t n = 1, l = 0, s = 0, e = 0, ev = 0;
};

Geometry check_inputs(const Tensor& q, const Tensor& k, const Tensor& v, const char* name) {
  PE_CHECK(q.dim() >= 2 && k.dim() >= 2 && v.dim() >= 2, name,
           ": expected query, key and value to be at least 2-D, got ", q.dim(), "-D, ", k.dim(), "-D and ",
           v.dim(), "-D");
  PE_CHECK(q.dtype() == k.dtype() && q.dtype() == v.dtype(), name,
           ": Expected query, key, and value to have the same dtype, but got query.dtype: ",
           dtype_name(q.dtype()), " key.dtype: ", dtype_name(k.dtype()), " and value.dtype: ",
           dtype_name(v.dtype()), " instead.");
  nn::check_float(q, name);
  nn::check_same_device(q, k, name);
  nn::check_same_device(q, v, name);
  Geometry g;
  g.batch = DimVector(q.sizes().begin(), q.sizes().end() - 2);
  DimVector kb(k.sizes().begin(), k.sizes().end() - 2), vb(v.sizes().begin(), v.sizes().end() - 2);
  PE_CHECK(kb == g.batch && vb == g.batch, name, ": query, key and value must have the same batch dims, got ",
           q.sizes(), ", ", k.sizes(), " and ", v.sizes());
  g.l = q.size(-2);
  g.e = q.size(-1);
  g.s = k.size(-2);
  g.ev = v.size(-1);
  PE_CHECK(k.size(-1) == g.e, name, ": key's last dim (", k.size(-1), ") must match query's (", g.e, ")");
  PE_CHECK(v.size(-2) == g.s, name, ": value's sequence length (", v.size(-2), ") must match key's (", g.s, ")");
  for (int64_t d : g.batch) g.n *= d;
  return g;
}

Tensor flat(const Tensor& t, int64_t n) { return contiguous(reshape(t, {n, t.size(-2), t.size(-1)})); }

// A float mask broadcast to (batch..., L, S) as two batch levels (outer, inner) with strides: broadcast
// dims keep stride 0, so a (L, S) or (B, 1, 1, S) mask is read in place.
AttnMaskView mask_view(const Tensor& mask, const Geometry& g, const Tensor& query, Tensor& keep, const char* name) {
  DType dt = query.dtype();
  AttnMaskView view;
  if (!mask.defined()) return view;
  PE_CHECK(mask.dtype() == dt, name, ": attn_mask dtype (", dtype_name(mask.dtype()),
           ") must match the query's (", dtype_name(dt), ")");
  nn::check_same_device(query, mask, name);
  DimVector full = g.batch;
  full.push_back(g.l);
  full.push_back(g.s);
  Tensor m = expand(mask, full);
  // Collapse the batch dims into (outer, inner): inner is the last batch dim.
  int64_t inner = g.batch.empty() ? 1 : g.batch.back();
  int64_t outer = g.n / (inner == 0 ? 1 : inner);
  DimVector four{outer, inner, g.l, g.s};
  if (g.batch.size() <= 1) {
    m = reshape(m, four);  // a view: at most one batch dim
  } else {
    DimVector lead(g.batch.begin(), g.batch.end() - 1);
    bool mergeable = true;  // the leading batch dims must merge into one stride
    for (size_t i = 0; i + 1 < lead.size(); ++i)
      if (lead[i] > 1 && m.stride(i) != m.stride(i + 1) * lead[i + 1]) mergeable = false;
    m = mergeable ? reshape(m, four) : reshape(contiguous(m), four);
  }
  keep = m;
  view.data = m.raw_data();
  view.inner = inner == 0 ? 1 : inner;
  view.s_outer = m.stride(0);
  view.s_inner = m.stride(1);
  view.s_row = m.stride(2);
  view.s_col = m.stride(3);
  return view;
}

}  // namespace

std::tuple<Tensor, Tensor> flash_attention(const Tensor& query, const Tensor& key, const Tensor& value,
                                           const Tensor& attn_mask, bool is_causal, double scale) {
  const char* name = "scaled_dot_product_attention";
  Geometry g = check_inputs(query, key, value, name);
  PE_CHECK(!(is_causal && attn_mask.defined()), "_scaled_dot_product_attention: Explicit attn_mask should not be "
           "set when is_causal=True");
  Tensor mask_keep;
  AttnMaskView mask = mask_view(attn_mask, g, query, mask_keep, name);
  TensorOptions opts{query.dtype(), query.device()};
  Tensor out = empty({g.n, g.l, g.ev}, opts);
  Tensor lse = empty({g.n, g.l}, opts);
  if (g.n > 0 && g.l > 0)
    flash_attention_stub(query.device())(out, lse, flat(query, g.n), flat(key, g.n), flat(value, g.n), mask,
                                         is_causal, scale);
  DimVector out_shape = g.batch, lse_shape = g.batch;
  out_shape.push_back(g.l);
  out_shape.push_back(g.ev);
  lse_shape.push_back(g.l);
  return {reshape(out, out_shape), reshape(lse, lse_shape)};
}

std::tuple<Tensor, Tensor, Tensor> flash_attention_backward(const Tensor& grad_out, const Tensor& query,
                                                            const Tensor& key, const Tensor& value,
                                                            const Tensor& out, const Tensor& logsumexp,
                                                            const Tensor& attn_mask, bool is_causal,
                                                            double scale) {
  const char* name = "scaled_dot_product_attention_backward";
  Geometry g = check_inputs(query, key, value, name);
  PE_CHECK(grad_out.sizes() == out.sizes(), name, ": grad_output of size ", grad_out.sizes(),
           " does not match output of size ", out.sizes());
  Tensor mask_keep;
  AttnMaskView mask = mask_view(attn_mask, g, query, mask_keep, name);
  TensorOptions opts{query.dtype(), query.device()};
  Tensor dq = empty({g.n, g.l, g.e}, opts), dk = empty({g.n, g.s, g.e}, opts), dv = empty({g.n, g.s, g.ev}, opts);
  if (g.n > 0) {
    Tensor go = contiguous(reshape(nn::dense(grad_out, query.dtype()), {g.n, g.l, g.ev}));
    flash_attention_backward_stub(query.device())(dq, dk, dv, go, flat(query, g.n), flat(key, g.n),
                                                  flat(value, g.n), flat(out, g.n),
                                                  contiguous(reshape(logsumexp, {g.n, g.l})), mask, is_causal,
                                                  scale);
  }
  return {reshape(dq, query.sizes()), reshape(dk, key.sizes()), reshape(dv, value.sizes())};
}

}  // namespace pe

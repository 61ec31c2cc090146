// The recurrence of one RNN/LSTM/GRU layer in one direction.
//
// Note [RNN layer]
// nn.RNN/LSTM/GRU project the input of every step with one GEMM before calling this (x = input W_ih^T +
// b_ih, autograd through linear). Here each step does one GEMM for the hidden projection and one pointwise
// gate kernel. Steps are stored one after the other, step t with batch_sizes[t] rows (a padded batch has
// them all equal; a packed one is sorted so they never grow). The states h (and c) are full (B, H) buffers
// and step t updates only its first batch_sizes[t] rows, so a sequence that has ended keeps its last state
// and one that has not started (going backwards) still holds h0: exactly PyTorch's packed recurrence. The
// forward keeps the activated gates, the previous states and (LSTM with projection) m = o * tanh(c) of every
// step; the backward walks the steps in the opposite order with one GEMM per step (dh_prev = dgates W_hh)
// and computes dW_hh, db_hh and dW_hr once at the end over all steps (one GEMM each).
#include "ops/nn_rnn.h"

#include "ops/linalg.h"
#include "ops/nn_util.h"
#include "ops/ops.h"
#include "ops/reduce.h"

namespace pe {

DispatchStub<LstmGatesFn> lstm_gates_stub("lstm_gates");
DispatchStub<LstmGatesBackwardFn> lstm_gates_backward_stub("lstm_gates_backward");
DispatchStub<GruGatesFn> gru_gates_stub("gru_gates");
DispatchStub<GruGatesBackwardFn> gru_gates_backward_stub("gru_gates_backward");
DispatchStub<RnnActFn> rnn_act_stub("rnn_act");
DispatchStub<RnnActBackwardFn> rnn_act_backward_stub("rnn_act_backward");

RnnMode rnn_mode_from_string(const std::string& s) {
  if (s == "LSTM") return RnnMode::Lstm;
  if (s == "GRU") return RnnMode::Gru;
  if (s == "RNN_TANH") return RnnMode::RnnTanh;
  if (s == "RNN_RELU") return RnnMode::RnnRelu;
  throw ValueError(str("Unrecognized RNN mode: ", s));
}

namespace {

int64_t gate_count(RnnMode mode) { return mode == RnnMode::Lstm ? 4 : mode == RnnMode::Gru ? 3 : 1; }

struct Steps {
  std::vector<int64_t> offset;  // first row of each step
  int64_t total = 0;
};

Steps layout(const std::vector<int64_t>& batch_sizes, int64_t batch, const char* name) {
  Steps s;
  int64_t prev = batch;
  for (int64_t bs : batch_sizes) {
    PE_CHECK(bs >= 0 && bs <= prev, name, ": batch sizes must be non-increasing and at most the batch size ",
             batch, ", got ", bs, " after ", prev);
    s.offset.push_back(s.total);
    s.total += bs;
    prev = bs;
  }
  return s;
}

Tensor rows_of(const Tensor& t, int64_t start, int64_t n) { return narrow(t, 0, start, n); }

}  // namespace

std::tuple<Tensor, Tensor, Tensor, RnnWorkspace> rnn_layer(RnnMode mode, const Tensor& x,
                                                           const std::vector<int64_t>& batch_sizes,
                                                           const Tensor& h0, const Tensor& c0, const Tensor& w_hh,
                                                           const Tensor& b_hh, const Tensor& w_hr, bool reverse) {
  const char* name = "rnn_layer";
  const bool lstm = mode == RnnMode::Lstm;
  nn::check_float(x, name);
  PE_CHECK(x.dim() == 2 && h0.dim() == 2 && w_hh.dim() == 2, name, ": expected 2-D input projections, state and ",
           "weight, got ", x.sizes(), ", ", h0.sizes(), " and ", w_hh.sizes());
  const int64_t batch = h0.size(0), h_out = h0.size(1), g = x.size(1);
  const int64_t hidden = lstm ? c0.size(1) : h_out;
  PE_CHECK(g == gate_count(mode) * hidden && w_hh.size(0) == g && w_hh.size(1) == h_out, name,
           ": inconsistent sizes: input projections ", x.sizes(), ", hidden state ", h0.sizes(), ", weight_hh ",
           w_hh.sizes());
  PE_CHECK(!w_hr.defined() || (lstm && w_hr.size(0) == h_out && w_hr.size(1) == hidden), name,
           ": weight_hr must be (proj_size, hidden_size) of an LSTM");
  for (const Tensor* t : {&h0, &c0, &w_hh, &b_hh, &w_hr})
    if (t->defined()) {
      PE_CHECK(t->dtype() == x.dtype(), name, ": all tensors must have the input's dtype ", dtype_name(x.dtype()),
               ", got ", dtype_name(t->dtype()));
      nn::check_same_device(x, *t, name);
    }
  Steps st = layout(batch_sizes, batch, name);
  PE_CHECK(st.total == x.size(0), name, ": the batch sizes add up to ", st.total, " rows but the input has ",
           x.size(0));
  TensorOptions opt{x.dtype(), x.device()};
  Tensor h = clone(h0), c = lstm ? clone(c0) : Tensor();
  Tensor out = empty({st.total, h_out}, opt);
  RnnWorkspace ws;
  ws.gates = contiguous_copy(x);
  ws.h_prev = empty({st.total, h_out}, opt);
  if (lstm) {
    ws.c_prev = empty({st.total, hidden}, opt);
    ws.c = empty({st.total, hidden}, opt);
    if (w_hr.defined()) ws.m = empty({st.total, hidden}, opt);
  }
  if (mode == RnnMode::Gru) ws.ghn = empty({st.total, hidden}, opt);
  Tensor w_t = t(w_hh);
  const int64_t steps = (int64_t)batch_sizes.size();
  for (int64_t i = 0; i < steps; ++i) {
    const int64_t s = reverse ? steps - 1 - i : i;
    const int64_t rows = batch_sizes[s], off = st.offset[s];
    if (rows == 0) continue;
    Tensor hp = rows_of(h, 0, rows), gates = rows_of(ws.gates, off, rows), o = rows_of(out, off, rows);
    Tensor hprev = rows_of(ws.h_prev, off, rows);
    copy_(hprev, hp);
    if (mode == RnnMode::Gru) {
      Tensor gh = mm(hprev, w_t);
      gru_gates_stub(x.device())(gates, gh, b_hh, hprev, o, rows_of(ws.ghn, off, rows));
    } else {
      addmm_(gates, hprev, w_t, 1, 1);
      if (lstm) {
        Tensor cp = rows_of(ws.c_prev, off, rows), cn = rows_of(ws.c, off, rows), cs = rows_of(c, 0, rows);
        copy_(cp, cs);
        Tensor m = w_hr.defined() ? rows_of(ws.m, off, rows) : o;
        lstm_gates_stub(x.device())(gates, b_hh, cp, cn, m);
        copy_(cs, cn);
        if (w_hr.defined()) copy_(o, mm(m, t(w_hr)));
      } else {
        rnn_act_stub(x.device())(gates, b_hh, o, mode == RnnMode::RnnRelu);
      }
    }
    copy_(hp, o);
  }
  return {out, h, c, ws};
}

RnnLayerGrads rnn_layer_backward(RnnMode mode, const Tensor& grad_out, const Tensor& grad_hn, const Tensor& grad_cn,
                                 const std::vector<int64_t>& batch_sizes, const Tensor& output,
                                 const RnnWorkspace& ws, const Tensor& w_hh, const Tensor& b_hh,
                                 const Tensor& w_hr, bool reverse) {
  const bool lstm = mode == RnnMode::Lstm;
  const int64_t batch = grad_hn.size(0), h_out = grad_hn.size(1), g = ws.gates.size(1);
  const int64_t hidden = lstm ? grad_cn.size(1) : h_out;
  Steps st = layout(batch_sizes, batch, "rnn_layer_backward");
  TensorOptions opt{output.dtype(), output.device()};
  Tensor go = contiguous(grad_out);
  RnnLayerGrads r;
  Tensor dh = clone(grad_hn), dc = lstm ? clone(grad_cn) : Tensor();
  r.x = empty({st.total, g}, opt);
  // The hidden projection's gradient of every step: the gate gradients themselves except for a GRU.
  Tensor dgh_all = mode == RnnMode::Gru ? empty({st.total, g}, opt) : r.x;
  Tensor dh_all = w_hr.defined() ? empty({st.total, h_out}, opt) : Tensor();
  const int64_t steps = (int64_t)batch_sizes.size();
  for (int64_t i = 0; i < steps; ++i) {
    const int64_t s = reverse ? i : steps - 1 - i;  // the forward's order, backwards
    const int64_t rows = batch_sizes[s], off = st.offset[s];
    if (rows == 0) continue;
    Tensor dhv = rows_of(dh, 0, rows);
    add_(dhv, rows_of(go, off, rows));
    Tensor dgates = rows_of(r.x, off, rows), dgh = rows_of(dgh_all, off, rows);
    Tensor gates = rows_of(ws.gates, off, rows);
    Tensor direct;
    if (lstm) {
      Tensor dm = dhv;
      if (w_hr.defined()) {
        Tensor keep = rows_of(dh_all, off, rows);
        copy_(keep, dhv);
        dm = mm(dhv, w_hr);
      }
      lstm_gates_backward_stub(output.device())(dgates, rows_of(dc, 0, rows), dm, gates,
                                                rows_of(ws.c_prev, off, rows), rows_of(ws.c, off, rows));
    } else if (mode == RnnMode::Gru) {
      direct = empty({rows, hidden}, opt);
      gru_gates_backward_stub(output.device())(dgates, dgh, direct, dhv, gates, rows_of(ws.ghn, off, rows),
                                               rows_of(ws.h_prev, off, rows));
    } else {
      rnn_act_backward_stub(output.device())(dgates, dhv, rows_of(output, off, rows), mode == RnnMode::RnnRelu);
    }
    Tensor dprev = mm(dgh, w_hh);
    if (direct.defined()) add_(dprev, direct);
    copy_(dhv, dprev);
  }
  r.h0 = dh;
  r.c0 = dc;
  // One GEMM each over all steps: dW_hh = sum_t dgh_t^T h_prev_t, dW_hr = sum_t dh_t^T m_t.
  r.w_hh = mm(t(dgh_all), ws.h_prev);
  if (b_hh.defined()) r.b_hh = sum(dgh_all, DimVector{0});
  if (w_hr.defined()) r.w_hr = mm(t(dh_all), ws.m);
  return r;
}

}  // namespace pe

// The recurrence of RNN/LSTM/GRU for one layer and one direction (ops/nn_rnn.cpp, gate kernels in
// cpu/nn_rnn_kernel.cpp). See Note [RNN layer] in ops/nn_rnn.cpp.
#pragma once
#include <string>
#include <tuple>
#include <vector>

#include "core/dispatch.h"
#include "core/tensor.h"

namespace pe {

enum class RnnMode : int8_t { Lstm, Gru, RnnTanh, RnnRelu };
RnnMode rnn_mode_from_string(const std::string& s);

// The pointwise part of one step, on `rows` rows (the GEMMs are done by the op layer). b_hh may be
// undefined; it is added to the hidden projection here.
// LSTM: gates (rows, 4H) holds x W_ih^T + b_ih + h W_hh^T (i, f, g, o) and gets the activations;
// c_prev (rows, H) -> c; m (rows, H) = o * tanh(c).
using LstmGatesFn = void (*)(const Tensor& gates, const Tensor& b_hh, const Tensor& c_prev, const Tensor& c,
                             const Tensor& m);
// Given dm (gradient of m) and dc (of c; replaced by the gradient of c_prev): dgates of the pre-activations.
using LstmGatesBackwardFn = void (*)(const Tensor& dgates, const Tensor& dc, const Tensor& dm, const Tensor& gates,
                                     const Tensor& c_prev, const Tensor& c);
// GRU: gi (rows, 3H) input projections (-> activations r, z, n), gh (rows, 3H) = h W_hh^T, h_prev -> h;
// ghn (rows, H) keeps the n part of gh + b_hh for the backward.
using GruGatesFn = void (*)(const Tensor& gi, const Tensor& gh, const Tensor& b_hh, const Tensor& h_prev,
                            const Tensor& h, const Tensor& ghn);
// dh -> dgi, dgh (gradients of the two projections) and dh_direct = dh * z (the part that skips the gates).
using GruGatesBackwardFn = void (*)(const Tensor& dgi, const Tensor& dgh, const Tensor& dh_direct, const Tensor& dh,
                                    const Tensor& gates, const Tensor& ghn, const Tensor& h_prev);
// Elman RNN: h = tanh or relu(pre + b_hh); backward dpre = dh * act'(h).
using RnnActFn = void (*)(const Tensor& pre, const Tensor& b_hh, const Tensor& h, bool relu);
using RnnActBackwardFn = void (*)(const Tensor& dpre, const Tensor& dh, const Tensor& h, bool relu);
extern DispatchStub<LstmGatesFn> lstm_gates_stub;
extern DispatchStub<LstmGatesBackwardFn> lstm_gates_backward_stub;
extern DispatchStub<GruGatesFn> gru_gates_stub;
extern DispatchStub<GruGatesBackwardFn> gru_gates_backward_stub;
extern DispatchStub<RnnActFn> rnn_act_stub;
extern DispatchStub<RnnActBackwardFn> rnn_act_backward_stub;

// What the forward keeps for the backward.
struct RnnWorkspace {
  Tensor gates, h_prev, c_prev, c, m, ghn;  // per step, stored like x
};

// x: (total rows, gates) input projections of every step, steps stored one after the other with
// batch_sizes[t] rows each (all equal for a padded batch), non-increasing. h0 (B, H_out), c0 (B, H) for
// LSTM. Returns (output (total rows, H_out), h_n, c_n (LSTM) or undefined, workspace).
std::tuple<Tensor, Tensor, Tensor, RnnWorkspace> rnn_layer(RnnMode mode, const Tensor& x,
                                                           const std::vector<int64_t>& batch_sizes,
                                                           const Tensor& h0, const Tensor& c0, const Tensor& w_hh,
                                                           const Tensor& b_hh, const Tensor& w_hr, bool reverse);

struct RnnLayerGrads {
  Tensor x, h0, c0, w_hh, b_hh, w_hr;
};
RnnLayerGrads rnn_layer_backward(RnnMode mode, const Tensor& grad_out, const Tensor& grad_hn, const Tensor& grad_cn,
                                 const std::vector<int64_t>& batch_sizes, const Tensor& output,
                                 const RnnWorkspace& ws, const Tensor& w_hh, const Tensor& b_hh,
                                 const Tensor& w_hr, bool reverse);

}  // namespace pe

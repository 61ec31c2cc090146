// The autograd node of the RNN layer (autograd/ops_rnn.h).
#include "autograd/ops_rnn.h"

#include "autograd/functions/nn_common.h"
#include "autograd/grad_mode.h"
#include "autograd/saved_variable.h"
#include "autograd/variable.h"

namespace pe::autograd {

namespace {

using nn_detail::opt_ptr;

const char* node_name(RnnMode mode) {
  switch (mode) {
    case RnnMode::Lstm: return "LstmBackward0";
    case RnnMode::Gru: return "GruBackward0";
    case RnnMode::RnnTanh: return "RnnTanhBackward0";
    case RnnMode::RnnRelu: return "RnnReluBackward0";
  }
  return "RnnBackward0";
}

// Edges: x, h0, [c0], w_hh, [b_hh], [w_hr] in that order (absent optional inputs have no edge).
struct RnnLayerBackward : Node {
  RnnMode mode_;
  std::vector<int64_t> batch_sizes_;
  bool reverse_ = false, has_c0_ = false, has_b_ = false, has_hr_ = false;
  RnnWorkspace ws_;  // internal buffers of the forward: never seen by the user, so no version checks
  SavedVariable output_, w_hh_, b_hh_, w_hr_;
  explicit RnnLayerBackward(RnnMode mode) : mode_(mode) {}
  std::string name() const override { return node_name(mode_); }
  variable_list apply(variable_list&& g) override {
    PE_CHECK(!GradMode::is_enabled(), "double backward through the fused ", node_name(mode_),
             " is not supported; nn.", mode_ == RnnMode::Lstm ? "LSTM" : mode_ == RnnMode::Gru ? "GRU" : "RNN",
             " runs its composite form when built with pyengine.nn._rnn_impl.set_fused(False)");
    RnnLayerGrads d = ::pe::rnn_layer_backward(mode_, g[0], g[1], has_c0_ ? g[2] : Tensor(), batch_sizes_,
                                               output_.unpack(), ws_, w_hh_.unpack(), b_hh_.unpack(),
                                               w_hr_.unpack(), reverse_);
    variable_list r;
    r.push_back(d.x);
    r.push_back(d.h0);
    if (has_c0_) r.push_back(d.c0);
    r.push_back(d.w_hh);
    if (has_b_) r.push_back(d.b_hh);
    if (has_hr_) r.push_back(d.w_hr);
    for (size_t i = 0; i < r.size(); ++i)
      if (!should_compute_output(i)) r[i] = Tensor();
    return r;
  }
  void release_variables() override {
    ws_ = RnnWorkspace();
    output_.reset_data();
    w_hh_.reset_data();
    b_hh_.reset_data();
    w_hr_.reset_data();
  }
};

}  // namespace

std::tuple<Tensor, Tensor, Tensor> rnn_layer(RnnMode mode, const Tensor& x, const std::vector<int64_t>& batch_sizes,
                                             const Tensor& h0, const Tensor& c0, const Tensor& w_hh,
                                             const Tensor& b_hh, const Tensor& w_hr, bool reverse) {
  auto [out, hn, cn, ws] = ::pe::rnn_layer(mode, x, batch_sizes, h0, c0, w_hh, b_hh, w_hr, reverse);
  std::vector<const Tensor*> inputs{&x, &h0};
  if (c0.defined()) inputs.push_back(&c0);
  inputs.push_back(&w_hh);
  if (b_hh.defined()) inputs.push_back(&b_hh);
  if (w_hr.defined()) inputs.push_back(&w_hr);
  TensorList list;
  for (const Tensor* t : inputs) list.push_back(*t);
  if (auto n = make_node_list<RnnLayerBackward>(list, mode)) {
    n->batch_sizes_ = batch_sizes;
    n->reverse_ = reverse;
    n->has_c0_ = c0.defined();
    n->has_b_ = b_hh.defined();
    n->has_hr_ = w_hr.defined();
    n->ws_ = ws;
    n->output_ = SavedVariable(out, true);
    n->w_hh_ = SavedVariable(w_hh, false);
    if (b_hh.defined()) n->b_hh_ = SavedVariable(b_hh, false);
    if (w_hr.defined()) n->w_hr_ = SavedVariable(w_hr, false);
    nn_detail::set_history_slots({out, hn, cn}, n);
  }
  return {out, hn, cn};
}

}  // namespace pe::autograd

// Differentiable wrapper of the RNN layer (ops/nn_rnn.h): one node for the whole sequence of one layer and
// direction (its backward is the whole backpropagation through time, ops::rnn_layer_backward). A second
// derivative through it raises (the composite path of nn/_rnn_impl.py serves create_graph users).
#pragma once
#include <tuple>
#include <vector>

#include "ops/nn_rnn.h"

namespace pe::autograd {

// (output, h_n, c_n) as pe::rnn_layer; c_n undefined unless LSTM.
std::tuple<Tensor, Tensor, Tensor> rnn_layer(RnnMode mode, const Tensor& x, const std::vector<int64_t>& batch_sizes,
                                             const Tensor& h0, const Tensor& c0, const Tensor& w_hh,
                                             const Tensor& b_hh, const Tensor& w_hr, bool reverse);

}  // namespace pe::autograd

// Installs the CUDA matrix-product and nn kernels (cuda/nn_kernels.h) into the stubs of
// ops/linalg_stubs.h and ops/nn_stubs.h; called by register_cuda() (register.cpp).
#include "cuda/linalg_kernels.h"
#include "cuda/nn_kernels.h"

namespace pe::cuda {

void register_nn() {
  constexpr DeviceType kCuda = DeviceType::CUDA;
  bmm_stub.set(kCuda, &bmm_kernel);
  lu_stub.set(kCuda, &lu_kernel);
  lu_solve_stub.set(kCuda, &lu_solve_kernel);
  lu_det_stub.set(kCuda, &lu_det_kernel);
  cholesky_stub.set(kCuda, &cholesky_kernel);
  triangular_solve_stub.set(kCuda, &triangular_solve_kernel);
  geqrf_stub.set(kCuda, &geqrf_kernel);
  orgqr_stub.set(kCuda, &orgqr_kernel);
  eigh_stub.set(kCuda, &eigh_kernel);
  svd_stub.set(kCuda, &svd_kernel);
  linear_stub.set(kCuda, &linear_kernel);
  conv2d_stub.set(kCuda, &conv2d_kernel);
  conv2d_backward_input_stub.set(kCuda, &conv2d_backward_input_kernel);
  conv2d_backward_weight_stub.set(kCuda, &conv2d_backward_weight_kernel);
  channel_sum_stub.set(kCuda, &channel_sum_kernel);
  max_pool2d_stub.set(kCuda, &max_pool2d_kernel);
  max_pool2d_backward_stub.set(kCuda, &max_pool2d_backward_kernel);
  avg_pool2d_stub.set(kCuda, &avg_pool2d_kernel);
  avg_pool2d_backward_stub.set(kCuda, &avg_pool2d_backward_kernel);
  adaptive_avg_pool2d_stub.set(kCuda, &adaptive_avg_pool2d_kernel);
  adaptive_avg_pool2d_backward_stub.set(kCuda, &adaptive_avg_pool2d_backward_kernel);
  softmax_stub.set(kCuda, &softmax_kernel);
  softmax_backward_stub.set(kCuda, &softmax_backward_kernel);
  nll_loss_stub.set(kCuda, &nll_loss_kernel);
  nll_loss_backward_stub.set(kCuda, &nll_loss_backward_kernel);
  nll_smooth_stub.set(kCuda, &nll_smooth_kernel);
  nll_smooth_backward_stub.set(kCuda, &nll_smooth_backward_kernel);
  soft_nll_stub.set(kCuda, &soft_nll_kernel);
  soft_nll_backward_stub.set(kCuda, &soft_nll_backward_kernel);
  point_loss_stub.set(kCuda, &point_loss_kernel);
  point_loss_backward_stub.set(kCuda, &point_loss_backward_kernel);
  batch_norm_stub.set(kCuda, &batch_norm_kernel);
  batch_norm_backward_stub.set(kCuda, &batch_norm_backward_kernel);
  layer_norm_stub.set(kCuda, &layer_norm_kernel);
  layer_norm_backward_stub.set(kCuda, &layer_norm_backward_kernel);
  lstm_gates_stub.set(kCuda, &lstm_gates_kernel);
  lstm_gates_backward_stub.set(kCuda, &lstm_gates_backward_kernel);
  gru_gates_stub.set(kCuda, &gru_gates_kernel);
  gru_gates_backward_stub.set(kCuda, &gru_gates_backward_kernel);
  rnn_act_stub.set(kCuda, &rnn_act_kernel);
  rnn_act_backward_stub.set(kCuda, &rnn_act_backward_kernel);
  flash_attention_stub.set(kCuda, &flash_attention_kernel);
  flash_attention_backward_stub.set(kCuda, &flash_attention_backward_kernel);
  // dropout_stub / bernoulli_stub: random_mask.cu, registered in register.cpp.
}

}  // namespace pe::cuda

// The host entry points of the CUDA matrix-product and nn kernels, with the signatures of the stubs in
// ops/linalg_stubs.h and ops/nn_stubs.h (whose contracts they follow). register_nn.cpp installs them;
// nothing else should call them directly (go through the stubs).
#pragma once
#include <cstdint>

#include "core/tensor.h"
#include "ops/linalg_stubs.h"
#include "ops/nn_attention.h"
#include "ops/nn_rnn.h"
#include "ops/nn_stubs.h"

namespace pe::cuda {

void register_nn();  // register_nn.cpp: installs everything below

void bmm_kernel(const Tensor& out, const Tensor& a, const Tensor& b, const Scalar& alpha, const Scalar& beta);  // gemm.cu

// linalg_lu.cu
void lu_kernel(const Tensor& lu, const Tensor& pivots, const Tensor& info);
void lu_solve_kernel(const Tensor& lu, const Tensor& pivots, const Tensor& rhs);
void lu_det_kernel(const Tensor& lu, const Tensor& pivots, const Tensor& det, const Tensor& sign,
                   const Tensor& logabsdet, bool real_log);

// nn_conv.cu
void conv2d_kernel(const Conv2dGeom& g, const Tensor& out, const Tensor& x, const Tensor& w, const Tensor& b);
void conv2d_backward_input_kernel(const Conv2dGeom& g, const Tensor& gi, const Tensor& go, const Tensor& w);
void conv2d_backward_weight_kernel(const Conv2dGeom& g, const Tensor& gw, const Tensor& go, const Tensor& x);
void channel_sum_kernel(const Tensor& out, const Tensor& go, int64_t n, int64_t c, int64_t l);
void linear_kernel(const Tensor& out, const Tensor& x, const Tensor& w, const Tensor& bias, int64_t m, int64_t n,
                   int64_t k);

// nn_pool.cu
void max_pool2d_kernel(const Pool2dGeom& g, const Tensor& out, const Tensor& indices, const Tensor& input);
void max_pool2d_backward_kernel(const Pool2dGeom& g, const Tensor& gi, const Tensor& go, const Tensor& indices);
void avg_pool2d_kernel(const Pool2dGeom& g, const Tensor& out, const Tensor& input);
void avg_pool2d_backward_kernel(const Pool2dGeom& g, const Tensor& gi, const Tensor& go);
void adaptive_avg_pool2d_kernel(const Pool2dGeom& g, const Tensor& out, const Tensor& input);
void adaptive_avg_pool2d_backward_kernel(const Pool2dGeom& g, const Tensor& gi, const Tensor& go);

// nn_softmax.cu
void softmax_kernel(const Tensor& out, const Tensor& input, int64_t outer, int64_t dim, int64_t inner, bool log);
void softmax_backward_kernel(const Tensor& gi, const Tensor& go, const Tensor& out, int64_t outer, int64_t dim,
                             int64_t inner, bool log);

// nn_loss_class.cu
void nll_loss_kernel(const ClassLossGeom& g, const Tensor& out, const Tensor& total, const Tensor& x,
                     const Tensor& t, const Tensor& w);
void nll_loss_backward_kernel(const ClassLossGeom& g, const Tensor& gi, const Tensor& go, const Tensor& t,
                              const Tensor& w, const Tensor& total);
void nll_smooth_kernel(const ClassLossGeom& g, const Tensor& out, const Tensor& x, const Tensor& t, const Tensor& w);
void nll_smooth_backward_kernel(const ClassLossGeom& g, const Tensor& gi, const Tensor& go, const Tensor& t,
                                const Tensor& w);
void soft_nll_kernel(const ClassLossGeom& g, const Tensor& out, const Tensor& x, const Tensor& p, const Tensor& w);
void soft_nll_backward_kernel(const ClassLossGeom& g, const Tensor& gi, const Tensor& gt, const Tensor& go,
                              const Tensor& x, const Tensor& p, const Tensor& w);

// nn_loss_point.cu
void point_loss_kernel(const PointLossArgs& a, const Tensor& out, const Tensor& x, const Tensor& y);
void point_loss_backward_kernel(const PointLossArgs& a, const Tensor& gi, const Tensor& go, const Tensor& x,
                                const Tensor& y);

// nn_norm.cu
void batch_norm_kernel(const Tensor& out, const Tensor& mean, const Tensor& invstd, const Tensor& x, const Tensor& w,
                       const Tensor& b, const Tensor& rm, const Tensor& rv, bool training, double momentum,
                       double eps, int64_t n, int64_t c, int64_t s);
void batch_norm_backward_kernel(const Tensor& gi, const Tensor& gw, const Tensor& gb, const Tensor& go,
                                const Tensor& x, const Tensor& w, const Tensor& mean, const Tensor& stat,
                                bool training, double eps, int64_t n, int64_t c, int64_t s);
void layer_norm_kernel(const Tensor& out, const Tensor& mean, const Tensor& rstd, const Tensor& x, const Tensor& w,
                       const Tensor& b, double eps, int64_t m, int64_t k);
void layer_norm_backward_kernel(const Tensor& gi, const Tensor& gw, const Tensor& gb, const Tensor& go,
                                const Tensor& x, const Tensor& mean, const Tensor& rstd, const Tensor& w, int64_t m,
                                int64_t k);

// nn_rnn.cu: the pointwise gate kernels of one RNN/LSTM/GRU step (ops/nn_rnn.h)
void lstm_gates_kernel(const Tensor& gates, const Tensor& b_hh, const Tensor& c_prev, const Tensor& c,
                       const Tensor& m);
void lstm_gates_backward_kernel(const Tensor& dgates, const Tensor& dc, const Tensor& dm, const Tensor& gates,
                                const Tensor& c_prev, const Tensor& c);
void gru_gates_kernel(const Tensor& gi, const Tensor& gh, const Tensor& b_hh, const Tensor& h_prev, const Tensor& h,
                      const Tensor& ghn);
void gru_gates_backward_kernel(const Tensor& dgi, const Tensor& dgh, const Tensor& direct, const Tensor& dh,
                               const Tensor& gates, const Tensor& ghn, const Tensor& h_prev);
void rnn_act_kernel(const Tensor& pre, const Tensor& b_hh, const Tensor& h, bool relu);
void rnn_act_backward_kernel(const Tensor& dpre, const Tensor& dh, const Tensor& h, bool relu);

// nn_attention.cu: fused scaled-dot-product attention (ops/nn_attention.h, Note [CUDA flash attention])
void flash_attention_kernel(const Tensor& out, const Tensor& lse, const Tensor& q, const Tensor& k,
                            const Tensor& v, const AttnMaskView& mask, bool causal, double scale);
void flash_attention_backward_kernel(const Tensor& dq, const Tensor& dk, const Tensor& dv, const Tensor& grad_out,
                                     const Tensor& q, const Tensor& k, const Tensor& v, const Tensor& out,
                                     const Tensor& lse, const AttnMaskView& mask, bool causal, double scale);

}  // namespace pe::cuda

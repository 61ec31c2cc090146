// CUDA gate kernels of the RNN layer (ops/nn_rnn.h, Note [RNN layer] in ops/nn_rnn.cpp): the pointwise part
// of one time step, one thread per (row, hidden unit), the activations and their derivatives fused as the
// CPU kernels (cpu/nn_rnn_kernel.cpp). The per-step GEMMs stay in the op layer (our cuda GEMM through
// mm/addmm_), so the op code is the same on both devices. Operands are row ranges of larger buffers:
// contiguous rows with a row stride.
#include <cmath>

#include "cuda/nn_kernels.h"
#include "cuda/nn_util.cuh"

namespace pe::cuda {
namespace {

template <class T>
__device__ __forceinline__ T sigmoid_of(T x) {
  return T(1) / (T(1) + std::exp(-x));
}

// Row pointers of a 2-D operand: base + r * stride(0).
template <class T>
struct Rows {
  T* p;
  int64_t s;
  __device__ T* operator[](int64_t r) const { return p + r * s; }
};
template <class T>
Rows<T> rows_of(const Tensor& t) {
  return {static_cast<T*>(t.raw_data()), t.stride(0)};
}

template <class T>
__global__ void lstm_gates_kernel_dev(Rows<T> gates, const T* bias, Rows<const T> c_prev, Rows<T> c, Rows<T> m,
                                      int64_t rows, int64_t h) {
  PE_CUDA_GRID_LOOP(idx, rows * h) {
    const int64_t r = idx / h, j = idx % h;
    T* gt = gates[r];
    T bi = 0, bf = 0, bg = 0, bo = 0;
    if (bias) bi = bias[j], bf = bias[h + j], bg = bias[2 * h + j], bo = bias[3 * h + j];
    const T i = sigmoid_of(gt[j] + bi), f = sigmoid_of(gt[h + j] + bf), g = std::tanh(gt[2 * h + j] + bg),
            o = sigmoid_of(gt[3 * h + j] + bo);
    gt[j] = i, gt[h + j] = f, gt[2 * h + j] = g, gt[3 * h + j] = o;
    const T cn = f * c_prev[r][j] + i * g;
    c[r][j] = cn;
    m[r][j] = o * std::tanh(cn);
  }
}

template <class T>
__global__ void lstm_gates_backward_kernel_dev(Rows<T> dgates, Rows<T> dc, Rows<const T> dm, Rows<const T> gates,
                                               Rows<const T> c_prev, Rows<const T> c, int64_t rows, int64_t h) {
  PE_CUDA_GRID_LOOP(idx, rows * h) {
    const int64_t r = idx / h, j = idx % h;
    const T* gt = gates[r];
    T* dg = dgates[r];
    const T i = gt[j], f = gt[h + j], g = gt[2 * h + j], o = gt[3 * h + j];
    const T tc = std::tanh(c[r][j]);
    const T dmr = dm[r][j];
    const T dct = dc[r][j] + dmr * o * (T(1) - tc * tc);
    dg[j] = dct * g * i * (T(1) - i);
    dg[h + j] = dct * c_prev[r][j] * f * (T(1) - f);
    dg[2 * h + j] = dct * i * (T(1) - g * g);
    dg[3 * h + j] = dmr * tc * o * (T(1) - o);
    dc[r][j] = dct * f;
  }
}

template <class T>
__global__ void gru_gates_kernel_dev(Rows<T> gi, Rows<const T> gh, const T* bias, Rows<const T> h_prev, Rows<T> hn,
                                     Rows<T> ghn, int64_t rows, int64_t h) {
  PE_CUDA_GRID_LOOP(idx, rows * h) {
    const int64_t r = idx / h, j = idx % h;
    T* a = gi[r];
    const T* b = gh[r];
    T br = 0, bz = 0, bn = 0;
    if (bias) br = bias[j], bz = bias[h + j], bn = bias[2 * h + j];
    const T rg = sigmoid_of(a[j] + b[j] + br), z = sigmoid_of(a[h + j] + b[h + j] + bz);
    const T hn_part = b[2 * h + j] + bn;
    const T n = std::tanh(a[2 * h + j] + rg * hn_part);
    a[j] = rg, a[h + j] = z, a[2 * h + j] = n;
    ghn[r][j] = hn_part;
    hn[r][j] = n + z * (h_prev[r][j] - n);
  }
}

template <class T>
__global__ void gru_gates_backward_kernel_dev(Rows<T> dgi, Rows<T> dgh, Rows<T> direct, Rows<const T> dh,
                                              Rows<const T> gates, Rows<const T> ghn, Rows<const T> h_prev,
                                              int64_t rows, int64_t h) {
  PE_CUDA_GRID_LOOP(idx, rows * h) {
    const int64_t r = idx / h, j = idx % h;
    const T* gt = gates[r];
    const T rg = gt[j], z = gt[h + j], n = gt[2 * h + j];
    const T d = dh[r][j];
    const T dn = d * (T(1) - z);
    const T dz = d * (h_prev[r][j] - n) * z * (T(1) - z);
    const T da = dn * (T(1) - n * n);
    const T dr = da * ghn[r][j] * rg * (T(1) - rg);
    T* di = dgi[r];
    T* dhh = dgh[r];
    di[j] = dr, di[h + j] = dz, di[2 * h + j] = da;
    dhh[j] = dr, dhh[h + j] = dz, dhh[2 * h + j] = da * rg;
    direct[r][j] = d * z;
  }
}

template <class T>
__global__ void rnn_act_kernel_dev(Rows<const T> pre, const T* bias, Rows<T> out, int64_t rows, int64_t h, bool relu) {
  PE_CUDA_GRID_LOOP(idx, rows * h) {
    const int64_t r = idx / h, j = idx % h;
    const T v = pre[r][j] + (bias ? bias[j] : T(0));
    out[r][j] = relu ? (v > T(0) ? v : T(0)) : std::tanh(v);
  }
}

template <class T>
__global__ void rnn_act_backward_kernel_dev(Rows<T> dpre, Rows<const T> dh, Rows<const T> out, int64_t rows,
                                            int64_t h, bool relu) {
  PE_CUDA_GRID_LOOP(idx, rows * h) {
    const int64_t r = idx / h, j = idx % h;
    const T o = out[r][j], d = dh[r][j];
    dpre[r][j] = relu ? (o > T(0) ? d : T(0)) : d * (T(1) - o * o);
  }
}

}  // namespace

void lstm_gates_kernel(const Tensor& gates, const Tensor& b_hh, const Tensor& c_prev, const Tensor& c,
                       const Tensor& m) {
  const int64_t rows = gates.size(0), h = c.size(1);
  if (rows * h == 0) return;
  DeviceGuard guard(gates.device().index);
  PE_CUDA_DISPATCH_NN_FLOAT(gates.dtype(), "lstm", [&] {
    using T = scalar_t;
    launch_kernel(lstm_gates_kernel_dev<T>, nn_grid(rows * h), kNnBlock, 0, current_stream(), rows_of<T>(gates),
                  opt_ptr<T>(b_hh), rows_of<const T>(c_prev), rows_of<T>(c), rows_of<T>(m), rows, h);
  });
}

void lstm_gates_backward_kernel(const Tensor& dgates, const Tensor& dc, const Tensor& dm, const Tensor& gates,
                                const Tensor& c_prev, const Tensor& c) {
  const int64_t rows = gates.size(0), h = c.size(1);
  if (rows * h == 0) return;
  DeviceGuard guard(gates.device().index);
  PE_CUDA_DISPATCH_NN_FLOAT(gates.dtype(), "lstm_backward", [&] {
    using T = scalar_t;
    launch_kernel(lstm_gates_backward_kernel_dev<T>, nn_grid(rows * h), kNnBlock, 0, current_stream(),
                  rows_of<T>(dgates), rows_of<T>(dc), rows_of<const T>(dm), rows_of<const T>(gates),
                  rows_of<const T>(c_prev), rows_of<const T>(c), rows, h);
  });
}

void gru_gates_kernel(const Tensor& gi, const Tensor& gh, const Tensor& b_hh, const Tensor& h_prev, const Tensor& h,
                      const Tensor& ghn) {
  const int64_t rows = gi.size(0), hid = h.size(1);
  if (rows * hid == 0) return;
  DeviceGuard guard(gi.device().index);
  PE_CUDA_DISPATCH_NN_FLOAT(gi.dtype(), "gru", [&] {
    using T = scalar_t;
    launch_kernel(gru_gates_kernel_dev<T>, nn_grid(rows * hid), kNnBlock, 0, current_stream(), rows_of<T>(gi),
                  rows_of<const T>(gh), opt_ptr<T>(b_hh), rows_of<const T>(h_prev), rows_of<T>(h), rows_of<T>(ghn),
                  rows, hid);
  });
}

void gru_gates_backward_kernel(const Tensor& dgi, const Tensor& dgh, const Tensor& direct, const Tensor& dh,
                               const Tensor& gates, const Tensor& ghn, const Tensor& h_prev) {
  const int64_t rows = gates.size(0), hid = dh.size(1);
  if (rows * hid == 0) return;
  DeviceGuard guard(gates.device().index);
  PE_CUDA_DISPATCH_NN_FLOAT(gates.dtype(), "gru_backward", [&] {
    using T = scalar_t;
    launch_kernel(gru_gates_backward_kernel_dev<T>, nn_grid(rows * hid), kNnBlock, 0, current_stream(),
                  rows_of<T>(dgi), rows_of<T>(dgh), rows_of<T>(direct), rows_of<const T>(dh),
                  rows_of<const T>(gates), rows_of<const T>(ghn), rows_of<const T>(h_prev), rows, hid);
  });
}

void rnn_act_kernel(const Tensor& pre, const Tensor& b_hh, const Tensor& h, bool relu) {
  const int64_t rows = pre.size(0), hid = h.size(1);
  if (rows * hid == 0) return;
  DeviceGuard guard(pre.device().index);
  PE_CUDA_DISPATCH_NN_FLOAT(pre.dtype(), "rnn", [&] {
    using T = scalar_t;
    launch_kernel(rnn_act_kernel_dev<T>, nn_grid(rows * hid), kNnBlock, 0, current_stream(), rows_of<const T>(pre),
                  opt_ptr<T>(b_hh), rows_of<T>(h), rows, hid, relu);
  });
}

void rnn_act_backward_kernel(const Tensor& dpre, const Tensor& dh, const Tensor& h, bool relu) {
  const int64_t rows = h.size(0), hid = h.size(1);
  if (rows * hid == 0) return;
  DeviceGuard guard(h.device().index);
  PE_CUDA_DISPATCH_NN_FLOAT(h.dtype(), "rnn_backward", [&] {
    using T = scalar_t;
    launch_kernel(rnn_act_backward_kernel_dev<T>, nn_grid(rows * hid), kNnBlock, 0, current_stream(),
                  rows_of<T>(dpre), rows_of<const T>(dh), rows_of<const T>(h), rows, hid, relu);
  });
}

}  // namespace pe::cuda

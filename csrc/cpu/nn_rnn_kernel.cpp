// CPU gate kernels of the RNN layer (ops/nn_rnn.h, Note [RNN layer] in ops/nn_rnn.cpp): one pass over the
// rows of a step, the activations and their derivatives fused. Operands are row-major with a row stride
// (steps are row ranges of larger buffers); rows are spread over threads when there are many.
#include <cmath>
#include <type_traits>

#include "cpu/nn_kernel_util.h"
#include "cpu/parallel.h"
#include "ops/fast_math.h"
#include "ops/nn_rnn.h"

namespace pe::cpu {
namespace {

// float gates use the polynomial exp of ops/fast_math.h (gcc vectorizes the row loops; tanh through the same
// exp: 2 / (1 + exp(-2x)) - 1, absolute error ~1e-7); double keeps libm.
template <class T>
T sigmoid(T x) {
  return T(1) / (T(1) + math::exp(-x));
}
template <class T>
T tanh_gate(T x) {
  if constexpr (std::is_same_v<T, float>) {
    return 2.0f / (1.0f + math::exp(-2.0f * x)) - 1.0f;
  } else {
    return std::tanh(x);
  }
}

// Row r of a 2-D tensor.
template <class T>
T* row(const Tensor& t, int64_t r) {
  return t.data_ptr<T>() + r * t.stride(0);
}

template <class F>
void for_rows(int64_t rows, int64_t width, const F& f) {
  parallel_for(0, rows, std::max<int64_t>(1, kGrainSize / std::max<int64_t>(1, width)), [&](int64_t b, int64_t e) {
    for (int64_t r = b; r < e; ++r) f(r);
  });
}

template <class T>
void lstm_gates(const Tensor& gates, const Tensor& b_hh, const Tensor& c_prev, const Tensor& c, const Tensor& m) {
  const int64_t h = c.size(1);
  const T* bias = b_hh.defined() ? b_hh.data_ptr<T>() : nullptr;
  for_rows(gates.size(0), 4 * h, [&](int64_t r) {
    T* gt = row<T>(gates, r);
    const T* cp = row<T>(c_prev, r);
    T* cn = row<T>(c, r);
    T* mo = row<T>(m, r);
    for (int64_t j = 0; j < h; ++j) {
      T bi = 0, bf = 0, bg = 0, bo = 0;
      if (bias) bi = bias[j], bf = bias[h + j], bg = bias[2 * h + j], bo = bias[3 * h + j];
      const T i = sigmoid(gt[j] + bi), f = sigmoid(gt[h + j] + bf), g = tanh_gate(gt[2 * h + j] + bg),
              o = sigmoid(gt[3 * h + j] + bo);
      gt[j] = i, gt[h + j] = f, gt[2 * h + j] = g, gt[3 * h + j] = o;
      cn[j] = f * cp[j] + i * g;
      mo[j] = o * tanh_gate(cn[j]);
    }
  });
}

template <class T>
void lstm_gates_backward(const Tensor& dgates, const Tensor& dc, const Tensor& dm, const Tensor& gates,
                         const Tensor& c_prev, const Tensor& c) {
  const int64_t h = c.size(1);
  for_rows(gates.size(0), 4 * h, [&](int64_t r) {
    T* dg = row<T>(dgates, r);
    T* dcr = row<T>(dc, r);
    const T* dmr = row<T>(dm, r);
    const T* gt = row<T>(gates, r);
    const T* cp = row<T>(c_prev, r);
    const T* cn = row<T>(c, r);
    for (int64_t j = 0; j < h; ++j) {
      const T i = gt[j], f = gt[h + j], g = gt[2 * h + j], o = gt[3 * h + j];
      const T tc = tanh_gate(cn[j]);
      const T dct = dcr[j] + dmr[j] * o * (T(1) - tc * tc);
      dg[j] = dct * g * i * (T(1) - i);
      dg[h + j] = dct * cp[j] * f * (T(1) - f);
      dg[2 * h + j] = dct * i * (T(1) - g * g);
      dg[3 * h + j] = dmr[j] * tc * o * (T(1) - o);
      dcr[j] = dct * f;
    }
  });
}

template <class T>
void gru_gates(const Tensor& gi, const Tensor& gh, const Tensor& b_hh, const Tensor& h_prev, const Tensor& hn,
               const Tensor& ghn) {
  const int64_t h = hn.size(1);
  const T* bias = b_hh.defined() ? b_hh.data_ptr<T>() : nullptr;
  for_rows(gi.size(0), 3 * h, [&](int64_t r) {
    T* a = row<T>(gi, r);
    const T* b = row<T>(gh, r);
    const T* hp = row<T>(h_prev, r);
    T* out = row<T>(hn, r);
    T* keep = row<T>(ghn, r);
    for (int64_t j = 0; j < h; ++j) {
      T br = 0, bz = 0, bn = 0;
      if (bias) br = bias[j], bz = bias[h + j], bn = bias[2 * h + j];
      const T rg = sigmoid(a[j] + b[j] + br), z = sigmoid(a[h + j] + b[h + j] + bz);
      const T hn_part = b[2 * h + j] + bn;
      const T n = tanh_gate(a[2 * h + j] + rg * hn_part);
      a[j] = rg, a[h + j] = z, a[2 * h + j] = n;
      keep[j] = hn_part;
      out[j] = n + z * (hp[j] - n);
    }
  });
}

template <class T>
void gru_gates_backward(const Tensor& dgi, const Tensor& dgh, const Tensor& direct, const Tensor& dh,
                        const Tensor& gates, const Tensor& ghn, const Tensor& h_prev) {
  const int64_t h = dh.size(1);
  for_rows(gates.size(0), 3 * h, [&](int64_t r) {
    T* di = row<T>(dgi, r);
    T* dhh = row<T>(dgh, r);
    T* dd = row<T>(direct, r);
    const T* d = row<T>(dh, r);
    const T* gt = row<T>(gates, r);
    const T* kn = row<T>(ghn, r);
    const T* hp = row<T>(h_prev, r);
    for (int64_t j = 0; j < h; ++j) {
      const T rg = gt[j], z = gt[h + j], n = gt[2 * h + j];
      const T dn = d[j] * (T(1) - z);
      const T dz = d[j] * (hp[j] - n) * z * (T(1) - z);
      const T da = dn * (T(1) - n * n);
      const T dr = da * kn[j] * rg * (T(1) - rg);
      di[j] = dr, di[h + j] = dz, di[2 * h + j] = da;
      dhh[j] = dr, dhh[h + j] = dz, dhh[2 * h + j] = da * rg;
      dd[j] = d[j] * z;
    }
  });
}

template <class T>
void rnn_act(const Tensor& pre, const Tensor& b_hh, const Tensor& out, bool relu) {
  const int64_t h = out.size(1);
  const T* bias = b_hh.defined() ? b_hh.data_ptr<T>() : nullptr;
  for_rows(pre.size(0), h, [&](int64_t r) {
    const T* p = row<T>(pre, r);
    T* o = row<T>(out, r);
    for (int64_t j = 0; j < h; ++j) {
      const T v = p[j] + (bias ? bias[j] : T(0));
      o[j] = relu ? (v > T(0) ? v : T(0)) : tanh_gate(v);
    }
  });
}

template <class T>
void rnn_act_backward(const Tensor& dpre, const Tensor& dh, const Tensor& out, bool relu) {
  const int64_t h = out.size(1);
  for_rows(out.size(0), h, [&](int64_t r) {
    T* dp = row<T>(dpre, r);
    const T* d = row<T>(dh, r);
    const T* o = row<T>(out, r);
    for (int64_t j = 0; j < h; ++j) dp[j] = relu ? (o[j] > T(0) ? d[j] : T(0)) : d[j] * (T(1) - o[j] * o[j]);
  });
}

void lstm_gates_kernel(const Tensor& gates, const Tensor& b_hh, const Tensor& c_prev, const Tensor& c,
                       const Tensor& m) {
  PE_DISPATCH_NN_FLOAT(gates.dtype(), "lstm", [&] { lstm_gates<scalar_t>(gates, b_hh, c_prev, c, m); });
}
void lstm_gates_backward_kernel(const Tensor& dgates, const Tensor& dc, const Tensor& dm, const Tensor& gates,
                                const Tensor& c_prev, const Tensor& c) {
  PE_DISPATCH_NN_FLOAT(gates.dtype(), "lstm_backward",
                       [&] { lstm_gates_backward<scalar_t>(dgates, dc, dm, gates, c_prev, c); });
}
void gru_gates_kernel(const Tensor& gi, const Tensor& gh, const Tensor& b_hh, const Tensor& h_prev, const Tensor& h,
                      const Tensor& ghn) {
  PE_DISPATCH_NN_FLOAT(gi.dtype(), "gru", [&] { gru_gates<scalar_t>(gi, gh, b_hh, h_prev, h, ghn); });
}
void gru_gates_backward_kernel(const Tensor& dgi, const Tensor& dgh, const Tensor& direct, const Tensor& dh,
                               const Tensor& gates, const Tensor& ghn, const Tensor& h_prev) {
  PE_DISPATCH_NN_FLOAT(gates.dtype(), "gru_backward",
                       [&] { gru_gates_backward<scalar_t>(dgi, dgh, direct, dh, gates, ghn, h_prev); });
}
void rnn_act_kernel(const Tensor& pre, const Tensor& b_hh, const Tensor& h, bool relu) {
  PE_DISPATCH_NN_FLOAT(pre.dtype(), "rnn", [&] { rnn_act<scalar_t>(pre, b_hh, h, relu); });
}
void rnn_act_backward_kernel(const Tensor& dpre, const Tensor& dh, const Tensor& h, bool relu) {
  PE_DISPATCH_NN_FLOAT(h.dtype(), "rnn_backward", [&] { rnn_act_backward<scalar_t>(dpre, dh, h, relu); });
}

}  // namespace

PE_REGISTER_KERNEL(lstm_gates_stub, CPU, &lstm_gates_kernel);
PE_REGISTER_KERNEL(lstm_gates_backward_stub, CPU, &lstm_gates_backward_kernel);
PE_REGISTER_KERNEL(gru_gates_stub, CPU, &gru_gates_kernel);
PE_REGISTER_KERNEL(gru_gates_backward_stub, CPU, &gru_gates_backward_kernel);
PE_REGISTER_KERNEL(rnn_act_stub, CPU, &rnn_act_kernel);
PE_REGISTER_KERNEL(rnn_act_backward_stub, CPU, &rnn_act_backward_kernel);

}  // namespace pe::cpu

// CPU gate kernels of the RNN layer (ops/nn_rnn.h, Note [RNN layer] in ops/nn_rnn.cpp): one pass over the
// rows of a step, the activations and their derivatives fused. Operands are row-major with a row stride
// (steps are row ranges of larger buffers); rows are spread over threads when there are many.
#include <cmath>
#include <type_traits>

#include "cpu/nn_kernel_util.h"
#include "cpu/parallel.h"
#include "ops/fast_math.h"
#include "ops/nn_rnn.h"
#if defined(__x86_64__)
#include "cpu/exp_avx512.h"
#endif

namespace pe::cpu {
namespace {

// float rows on AVX-512 where the CPU has it: this file is compiled for the baseline x86-64, where gcc
// left the gate loops scalar with out-of-line tanh calls (17% of an LSTM 2x256 forward+backward). Same
// formulas and operation order as the scalar loops below (no fused multiply-adds), exp by cpu/exp_avx512.h.
#if defined(__x86_64__)
#define PE_RNN_AVX512 __attribute__((target("avx512f,avx512dq,avx2,fma")))
bool has_avx512() {
  static const bool yes = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq");
  return yes;
}
PE_RNN_AVX512 inline __mmask16 lanes(int64_t left) {
  return left >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << left) - 1);
}
PE_RNN_AVX512 inline __m512 ld(__mmask16 k, const float* p) { return _mm512_maskz_loadu_ps(k, p); }
PE_RNN_AVX512 inline void st(__mmask16 k, float* p, __m512 v) { _mm512_mask_storeu_ps(p, k, v); }
PE_RNN_AVX512 inline __m512 add(__m512 a, __m512 b) { return _mm512_add_ps(a, b); }
PE_RNN_AVX512 inline __m512 sub(__m512 a, __m512 b) { return _mm512_sub_ps(a, b); }
PE_RNN_AVX512 inline __m512 mul(__m512 a, __m512 b) { return _mm512_mul_ps(a, b); }
PE_RNN_AVX512 inline __m512 sigmoid16(__m512 x) {  // 1 / (1 + exp(-x))
  const __m512 one = _mm512_set1_ps(1.0f);
  return _mm512_div_ps(one, add(one, avx512::exp(sub(_mm512_setzero_ps(), x))));
}
PE_RNN_AVX512 inline __m512 tanh16(__m512 x) {  // 2 / (1 + exp(-2x)) - 1, as tanh_gate
  const __m512 one = _mm512_set1_ps(1.0f);
  return sub(_mm512_div_ps(_mm512_set1_ps(2.0f), add(one, avx512::exp(mul(_mm512_set1_ps(-2.0f), x)))), one);
}

PE_RNN_AVX512 void lstm_row_avx512(float* gt, const float* bias, const float* cp, float* cn, float* mo, int64_t h) {
  const __m512 zero = _mm512_setzero_ps();
  for (int64_t j = 0; j < h; j += 16) {
    const __mmask16 k = lanes(h - j);
    const __m512 i = sigmoid16(add(ld(k, gt + j), bias ? ld(k, bias + j) : zero));
    const __m512 f = sigmoid16(add(ld(k, gt + h + j), bias ? ld(k, bias + h + j) : zero));
    const __m512 g = tanh16(add(ld(k, gt + 2 * h + j), bias ? ld(k, bias + 2 * h + j) : zero));
    const __m512 o = sigmoid16(add(ld(k, gt + 3 * h + j), bias ? ld(k, bias + 3 * h + j) : zero));
    st(k, gt + j, i), st(k, gt + h + j, f), st(k, gt + 2 * h + j, g), st(k, gt + 3 * h + j, o);
    const __m512 c = add(mul(f, ld(k, cp + j)), mul(i, g));
    st(k, cn + j, c);
    st(k, mo + j, mul(o, tanh16(c)));
  }
}

PE_RNN_AVX512 void lstm_backward_row_avx512(float* dg, float* dcr, const float* dmr, const float* gt,
                                            const float* cp, const float* cn, int64_t h) {
  const __m512 one = _mm512_set1_ps(1.0f);
  for (int64_t j = 0; j < h; j += 16) {
    const __mmask16 k = lanes(h - j);
    const __m512 i = ld(k, gt + j), f = ld(k, gt + h + j), g = ld(k, gt + 2 * h + j), o = ld(k, gt + 3 * h + j);
    const __m512 tc = tanh16(ld(k, cn + j)), dm = ld(k, dmr + j);
    const __m512 dct = add(ld(k, dcr + j), mul(mul(dm, o), sub(one, mul(tc, tc))));
    st(k, dg + j, mul(mul(mul(dct, g), i), sub(one, i)));
    st(k, dg + h + j, mul(mul(mul(dct, ld(k, cp + j)), f), sub(one, f)));
    st(k, dg + 2 * h + j, mul(mul(dct, i), sub(one, mul(g, g))));
    st(k, dg + 3 * h + j, mul(mul(mul(dm, tc), o), sub(one, o)));
    st(k, dcr + j, mul(dct, f));
  }
}

PE_RNN_AVX512 void gru_row_avx512(float* a, const float* b, const float* bias, const float* hp, float* out,
                                  float* keep, int64_t h) {
  const __m512 zero = _mm512_setzero_ps();
  for (int64_t j = 0; j < h; j += 16) {
    const __mmask16 k = lanes(h - j);
    const __m512 rg = sigmoid16(add(add(ld(k, a + j), ld(k, b + j)), bias ? ld(k, bias + j) : zero));
    const __m512 z = sigmoid16(add(add(ld(k, a + h + j), ld(k, b + h + j)), bias ? ld(k, bias + h + j) : zero));
    const __m512 hn_part = add(ld(k, b + 2 * h + j), bias ? ld(k, bias + 2 * h + j) : zero);
    const __m512 n = tanh16(add(ld(k, a + 2 * h + j), mul(rg, hn_part)));
    st(k, a + j, rg), st(k, a + h + j, z), st(k, a + 2 * h + j, n);
    st(k, keep + j, hn_part);
    st(k, out + j, add(n, mul(z, sub(ld(k, hp + j), n))));
  }
}

PE_RNN_AVX512 void gru_backward_row_avx512(float* di, float* dhh, float* dd, const float* d, const float* gt,
                                           const float* kn, const float* hp, int64_t h) {
  const __m512 one = _mm512_set1_ps(1.0f);
  for (int64_t j = 0; j < h; j += 16) {
    const __mmask16 k = lanes(h - j);
    const __m512 rg = ld(k, gt + j), z = ld(k, gt + h + j), n = ld(k, gt + 2 * h + j), dv = ld(k, d + j);
    const __m512 dn = mul(dv, sub(one, z));
    const __m512 dz = mul(mul(mul(dv, sub(ld(k, hp + j), n)), z), sub(one, z));
    const __m512 da = mul(dn, sub(one, mul(n, n)));
    const __m512 dr = mul(mul(mul(da, ld(k, kn + j)), rg), sub(one, rg));
    st(k, di + j, dr), st(k, di + h + j, dz), st(k, di + 2 * h + j, da);
    st(k, dhh + j, dr), st(k, dhh + h + j, dz), st(k, dhh + 2 * h + j, mul(da, rg));
    st(k, dd + j, mul(dv, z));
  }
}
#undef PE_RNN_AVX512
#else
bool has_avx512() { return false; }
#endif

// True when float rows take the AVX-512 loops.
template <class T>
bool vector_rows() {
#if defined(__x86_64__)
  if constexpr (std::is_same_v<T, float>) return has_avx512();
#endif
  return false;
}

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
  const bool vec = vector_rows<T>();
  for_rows(gates.size(0), 4 * h, [&](int64_t r) {
    T* gt = row<T>(gates, r);
    const T* cp = row<T>(c_prev, r);
    T* cn = row<T>(c, r);
    T* mo = row<T>(m, r);
#if defined(__x86_64__)
    if constexpr (std::is_same_v<T, float>)
      if (vec) return lstm_row_avx512(gt, bias, cp, cn, mo, h);
#endif
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
  const bool vec = vector_rows<T>();
  for_rows(gates.size(0), 4 * h, [&](int64_t r) {
    T* dg = row<T>(dgates, r);
    T* dcr = row<T>(dc, r);
    const T* dmr = row<T>(dm, r);
    const T* gt = row<T>(gates, r);
    const T* cp = row<T>(c_prev, r);
    const T* cn = row<T>(c, r);
#if defined(__x86_64__)
    if constexpr (std::is_same_v<T, float>)
      if (vec) return lstm_backward_row_avx512(dg, dcr, dmr, gt, cp, cn, h);
#endif
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
  const bool vec = vector_rows<T>();
  for_rows(gi.size(0), 3 * h, [&](int64_t r) {
    T* a = row<T>(gi, r);
    const T* b = row<T>(gh, r);
    const T* hp = row<T>(h_prev, r);
    T* out = row<T>(hn, r);
    T* keep = row<T>(ghn, r);
#if defined(__x86_64__)
    if constexpr (std::is_same_v<T, float>)
      if (vec) return gru_row_avx512(a, b, bias, hp, out, keep, h);
#endif
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
  const bool vec = vector_rows<T>();
  for_rows(gates.size(0), 3 * h, [&](int64_t r) {
    T* di = row<T>(dgi, r);
    T* dhh = row<T>(dgh, r);
    T* dd = row<T>(direct, r);
    const T* d = row<T>(dh, r);
    const T* gt = row<T>(gates, r);
    const T* kn = row<T>(ghn, r);
    const T* hp = row<T>(h_prev, r);
#if defined(__x86_64__)
    if constexpr (std::is_same_v<T, float>)
      if (vec) return gru_backward_row_avx512(di, dhh, dd, d, gt, kn, hp, h);
#endif
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

// Direct (implicit-GEMM) stride-1 conv2d kernels for convolutions with few channels, where im2col +
// GEMM is dominated by copies and by GEMM tiles that are mostly empty (6 or 16 output channels
// against 12-row micro-tiles).
//
// Note [Direct convolution]
// One sample's input planes are copied into a zero-padded scratch of row width Wp = W + 2*pw and
// read "flattened": output position p = y * Wp + x takes input element off[k] + p for the kernel tap
// k = (c, ki, kj), off[k] = c * plane + ki * dh * Wp + kj * dw. Columns x >= ow of that flattened
// output are garbage and dropped, so every vector of VN outputs is a full, unmasked load and the tap
// loop is one flat loop over an offset table. Then
//   - forward: out (O x P) = W (O x K) X (K x P) with OB x JB vector accumulators in registers;
//   - backward input: the same kernel on grad_output padded by d*(k-1)-p, with the weight flipped
//     and its channel dims swapped (valid for stride 1);
//   - backward weight: gw (O x K) = G (O x P) X^T, G being grad_output with zeros in the garbage
//     columns. 0 * x is only exact for finite x, so an input holding inf/nan goes to im2col instead.
// Channel counts and vector counts are padded to the register blocks with zeros (one instantiation
// per dtype and target). The bodies use GCC vector extensions and are compiled three times: for the
// baseline target (32-byte vectors lowered to SSE), with target("avx2,fma") and with AVX-512 (64-byte
// vectors), the widest the CPU has picked at run time (PE_CONV_ISA=baseline|avx2 caps it).
#include "cpu/nn_conv_direct.h"

#include <omp.h>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "core/macros.h"

#include "cpu/parallel.h"

#pragma GCC diagnostic ignored "-Wpsabi"

namespace pe::cpu {
namespace {

// W: vector bytes (32 for AVX2 and the baseline build, 64 for AVX-512).
template <class T, int W>
struct Vec {
  typedef T type __attribute__((vector_size(W)));
  static constexpr int n = W / sizeof(T);
};
template <class T, int W>
using V = typename Vec<T, W>::type;

template <class T, int W>
PE_ALWAYS_INLINE V<T, W> vload(const T* p) {
  V<T, W> v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

// Forward register blocks (output channels x vectors): 4 x 3, or 3 x 3 when the channel count is a
// multiple of 3 and not of 4 (less zero padding: LeNet's 6 and 3 channels). Accumulators + vector
// loads + the broadcast must fit the 16 AVX2 registers (3 x 4 would spill one to the stack).
inline bool forward_uses_3x4(int64_t cout) { return cout % 4 != 0 && cout % 3 == 0; }
constexpr int WOB = 3, WKB = 4;  // weight gradient: output channels x kernel taps per block

inline int64_t round_up(int64_t x, int64_t m) { return (x + m - 1) / m * m; }

// The flattened geometry of one group of one sample (see the Note).
struct Plan {
  int64_t vn;                   // elements per vector
  int64_t cin, cout, cout_pad;  // channels read, channels written (padded to the block)
  int64_t hp, wp, plane;        // padded input plane
  int64_t oh, ow;               // valid output
  int64_t pvec, pp;             // output vectors (padded to the block) and their length
  int64_t k, k_pad;             // taps, and taps padded to WKB
  int64_t scratch;              // elements of the padded input scratch
  std::vector<int64_t> off;     // k_pad offsets (padding taps read offset 0)
};

Plan make_plan(int vn, int64_t cin, int64_t cout, int64_t h, int64_t w, int64_t ph, int64_t pw, int64_t kh, int64_t kw,
               int64_t dh, int64_t dw, int64_t block_vecs, int64_t block_out) {
  const int64_t VN = vn;
  Plan p;
  p.vn = vn;
  p.cin = cin, p.cout = cout, p.cout_pad = round_up(cout, block_out);
  p.hp = h + 2 * ph, p.wp = w + 2 * pw, p.plane = p.hp * p.wp;
  p.oh = p.hp - dh * (kh - 1), p.ow = p.wp - dw * (kw - 1);
  p.pvec = round_up((p.oh * p.wp + VN - 1) / VN, block_vecs);
  p.pp = p.pvec * VN;
  p.k = cin * kh * kw, p.k_pad = round_up(p.k, WKB);
  p.off.assign(p.k_pad, 0);
  for (int64_t c = 0; c < cin; ++c)
    for (int64_t i = 0; i < kh; ++i)
      for (int64_t j = 0; j < kw; ++j) p.off[(c * kh + i) * kw + j] = c * p.plane + i * dh * p.wp + j * dw;
  // the last tap reads up to plane * cin + dw * (kw - 1) + (pp - oh * wp)
  p.scratch = cin * p.plane + dw * (kw - 1) + (p.pp - p.oh * p.wp) + VN;
  return p;
}

// Zero-padded copy of the input planes (h, w) into the plan's scratch.
template <class T>
void pad_input(const Plan& p, const T* x, int64_t h, int64_t w, int64_t ph, int64_t pw, T* out) {
  std::memset(out, 0, sizeof(T) * p.scratch);
  for (int64_t c = 0; c < p.cin; ++c)
    for (int64_t i = 0; i < h; ++i)
      std::memcpy(out + c * p.plane + (i + ph) * p.wp + pw, x + (c * h + i) * w, sizeof(T) * w);
}

// outp (cout_pad x pp) = w (cout_pad x k) * X + bias.
template <class T, int W, int OB, int JB>
PE_ALWAYS_INLINE void forward_block(const Plan& p, const T* xp, const T* w, const T* bias, T* outp) {
  constexpr int VN = Vec<T, W>::n;
  const int64_t* off = p.off.data();
  for (int64_t o0 = 0; o0 < p.cout_pad; o0 += OB)
    for (int64_t v0 = 0; v0 < p.pvec; v0 += JB) {
      V<T, W> acc[OB][JB];
      for (int b = 0; b < OB; ++b)
        for (int j = 0; j < JB; ++j) acc[b][j] = V<T, W>{} + bias[o0 + b];
      const T* xb = xp + v0 * VN;
      const T* wb = w + o0 * p.k;
      for (int64_t k = 0; k < p.k; ++k) {
        V<T, W> xv[JB];
        for (int j = 0; j < JB; ++j) xv[j] = vload<T, W>(xb + off[k] + j * VN);
        for (int b = 0; b < OB; ++b) {
          const T wv = wb[b * p.k + k];
          for (int j = 0; j < JB; ++j) acc[b][j] += xv[j] * wv;
        }
      }
      for (int b = 0; b < OB; ++b)
        for (int j = 0; j < JB; ++j) std::memcpy(outp + (o0 + b) * p.pp + (v0 + j) * VN, &acc[b][j], sizeof(V<T, W>));
    }
}

template <class T, int W>
PE_ALWAYS_INLINE void forward_body(const Plan& p, const T* xp, const T* w, const T* bias, T* outp) {
  if (forward_uses_3x4(p.cout)) forward_block<T, W, 3, 3>(p, xp, w, bias, outp);
  else forward_block<T, W, 4, 3>(p, xp, w, bias, outp);
}

// gw (cout_pad x k_pad vectors of VN partial sums) += G (cout_pad x pp) * X^T.
template <class T, int W>
PE_ALWAYS_INLINE void weight_body(const Plan& p, const T* g, const T* xp, T* gw) {
  constexpr int VN = Vec<T, W>::n;
  const int64_t* off = p.off.data();
  for (int64_t o0 = 0; o0 < p.cout_pad; o0 += WOB)
    for (int64_t k0 = 0; k0 < p.k_pad; k0 += WKB) {
      V<T, W> acc[WOB][WKB];
      for (int b = 0; b < WOB; ++b)
        for (int j = 0; j < WKB; ++j) acc[b][j] = V<T, W>{};
      for (int64_t v = 0; v < p.pvec; ++v) {
        V<T, W> gv[WOB];
        for (int b = 0; b < WOB; ++b) gv[b] = vload<T, W>(g + (o0 + b) * p.pp + v * VN);
        for (int j = 0; j < WKB; ++j) {
          const V<T, W> xv = vload<T, W>(xp + off[k0 + j] + v * VN);
          for (int b = 0; b < WOB; ++b) acc[b][j] += gv[b] * xv;
        }
      }
      // Lane sums are deferred: gw keeps one vector per (o, k), reduced once after all samples.
      for (int b = 0; b < WOB; ++b)
        for (int j = 0; j < WKB; ++j) {
          T* dst = gw + ((o0 + b) * p.k_pad + k0 + j) * VN;
          const V<T, W> sum = vload<T, W>(dst) + acc[b][j];
          std::memcpy(dst, &sum, sizeof sum);
        }
    }
}

// The instruction sets the kernels are compiled for; the widest the CPU has is used.
enum class Isa { Baseline, Avx2, Avx512 };

#if defined(__x86_64__) && defined(__GNUC__)
template <class T>
__attribute__((target("avx2,fma"))) void forward_avx2(const Plan& p, const T* xp, const T* w, const T* b, T* out) {
  forward_body<T, 32>(p, xp, w, b, out);
}
template <class T>
__attribute__((target("avx2,fma"))) void weight_avx2(const Plan& p, const T* g, const T* xp, T* gw) {
  weight_body<T, 32>(p, g, xp, gw);
}
template <class T>
__attribute__((target("avx512f,avx512vl,avx2,fma"))) void forward_avx512(const Plan& p, const T* xp, const T* w,
                                                                          const T* b, T* out) {
  forward_body<T, 64>(p, xp, w, b, out);
}
// PE_CONV_ISA=baseline|avx2 in the environment caps the choice (read once; for tests).
Isa isa() {
  static const Isa v = [] {
    const char* e = std::getenv("PE_CONV_ISA");
    const int cap = e && std::strcmp(e, "baseline") == 0 ? 0 : e && std::strcmp(e, "avx2") == 0 ? 1 : 2;
    if (cap >= 2 && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl")) return Isa::Avx512;
    if (cap >= 1 && __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return Isa::Avx2;
    return Isa::Baseline;
  }();
  return v;
}
#else
template <class T>
void forward_avx2(const Plan& p, const T* xp, const T* w, const T* b, T* out) { forward_body<T, 32>(p, xp, w, b, out); }
template <class T>
void weight_avx2(const Plan& p, const T* g, const T* xp, T* gw) { weight_body<T, 32>(p, g, xp, gw); }
template <class T>
void forward_avx512(const Plan& p, const T* xp, const T* w, const T* b, T* out) {
  forward_body<T, 32>(p, xp, w, b, out);
}
Isa isa() { return Isa::Baseline; }
#endif

// Elements per vector of the chosen kernels (the plan's padding depends on it).
template <class T>
int vector_elems() {
  return isa() == Isa::Avx512 ? 64 / sizeof(T) : 32 / sizeof(T);
}

template <class T>
void forward_kernel(const Plan& p, const T* xp, const T* w, const T* b, T* out) {
  switch (isa()) {
    case Isa::Avx512: return forward_avx512<T>(p, xp, w, b, out);
    case Isa::Avx2: return forward_avx2<T>(p, xp, w, b, out);
    case Isa::Baseline: return forward_body<T, 32>(p, xp, w, b, out);
  }
}
// The weight gradient streams twice as many full vectors per FMA as the forward, and 64-byte loads
// at arbitrary offsets mostly split cache lines: AVX2 measured faster there even on AVX-512 CPUs.
template <class T>
void weight_kernel(const Plan& p, const T* g, const T* xp, T* gw) {
  if (isa() == Isa::Baseline) return weight_body<T, 32>(p, g, xp, gw);
  weight_avx2<T>(p, g, xp, gw);
}

// Runs f(sample, thread) over n samples, one contiguous range per thread (serial below 2 samples).
template <class F>
int over_samples(int64_t n, const F& f) {
  const int nt = (int)std::min<int64_t>(get_num_threads(), n);
  if (nt <= 1 || omp_in_parallel()) {
    for (int64_t i = 0; i < n; ++i) f(i, 0);
    return 1;
  }
#pragma omp parallel num_threads(nt)
  {
    const int tid = omp_get_thread_num(), threads = omp_get_num_threads();
    const int64_t chunk = (n + threads - 1) / threads;
    for (int64_t i = tid * chunk; i < std::min(n, (tid + 1) * chunk); ++i) f(i, tid);
  }
  return nt;
}

// Forward over all samples and groups: x (n, groups * cin, h, w) -> out (n, groups * cout, oh, ow)
// with wpad (groups, cout_pad, k) and bpad (groups, cout_pad) already padded to the plan.
template <class T>
void run_forward(const Plan& p, int64_t n, int64_t groups, int64_t h, int64_t w, int64_t ph, int64_t pw, const T* x,
                 const T* wpad, const T* bpad, T* out) {
  over_samples(n, [&](int64_t s, int) {
    thread_local std::vector<T> xs, os;
    xs.resize(p.scratch);
    os.resize(p.cout_pad * p.pp);
    for (int64_t grp = 0; grp < groups; ++grp) {
      pad_input(p, x + (s * groups + grp) * p.cin * h * w, h, w, ph, pw, xs.data());
      const T* wg = wpad + grp * p.cout_pad * p.k;
      const T* bg = bpad + grp * p.cout_pad;
      forward_kernel<T>(p, xs.data(), wg, bg, os.data());
      T* y = out + (s * groups + grp) * p.cout * p.oh * p.ow;
      for (int64_t o = 0; o < p.cout; ++o)
        for (int64_t r = 0; r < p.oh; ++r)
          std::memcpy(y + (o * p.oh + r) * p.ow, os.data() + o * p.pp + r * p.wp, sizeof(T) * p.ow);
    }
  });
}

}  // namespace

bool direct_conv_fits(const Conv2dGeom& g) {
  const int64_t og = g.o / g.groups, cg = g.c / g.groups;
  // Few channels: the regime where the copies of im2col and GEMM's empty tile rows dominate. Measured
  // against PyTorch here (one thread): LeNet's 3->6 and 6->16 and up to 64->64 channels run faster
  // direct, 128->128 about even. The padded input of one sample must stay cache-resident (the tap
  // loop re-reads it for every block of outputs), else the GEMM's cache blocking wins.
  const int64_t scratch = cg * (g.h + 2 * g.ph) * (g.w + 2 * g.pw);
  return g.sh == 1 && g.sw == 1 && og * cg <= 4096 && scratch <= (int64_t(1) << 17);
}

bool direct_conv_backward_input_fits(const Conv2dGeom& g) {
  return direct_conv_fits(g) && g.ph <= g.dh * (g.kh - 1) && g.pw <= g.dw * (g.kw - 1);
}

template <class T>
void direct_conv_forward(const Conv2dGeom& g, T* out, const T* x, const T* w, const T* bias) {
  const int64_t cg = g.c / g.groups, og = g.o / g.groups;
  const bool b34 = forward_uses_3x4(og);
  Plan p = make_plan(vector_elems<T>(), cg, og, g.h, g.w, g.ph, g.pw, g.kh, g.kw, g.dh, g.dw, 3, b34 ? 3 : 4);
  std::vector<T> wpad(g.groups * p.cout_pad * p.k, T(0)), bpad(g.groups * p.cout_pad, T(0));
  for (int64_t grp = 0; grp < g.groups; ++grp) {
    std::memcpy(wpad.data() + grp * p.cout_pad * p.k, w + grp * og * p.k, sizeof(T) * og * p.k);
    if (bias) std::memcpy(bpad.data() + grp * p.cout_pad, bias + grp * og, sizeof(T) * og);
  }
  run_forward(p, g.n, g.groups, g.h, g.w, g.ph, g.pw, x, wpad.data(), bpad.data(), out);
}

template <class T>
void direct_conv_backward_input(const Conv2dGeom& g, T* gi, const T* go, const T* w) {
  const int64_t cg = g.c / g.groups, og = g.o / g.groups, kk = g.kh * g.kw;
  const int64_t qh = g.dh * (g.kh - 1) - g.ph, qw = g.dw * (g.kw - 1) - g.pw;
  // "input" grad_output (og planes), "output" grad_input (cg planes)
  const bool b34 = forward_uses_3x4(cg);
  Plan p = make_plan(vector_elems<T>(), og, cg, g.oh, g.ow, qh, qw, g.kh, g.kw, g.dh, g.dw, 3, b34 ? 3 : 4);
  // wt[grp][c][o][ki][kj] = w[grp*og + o][c][kh-1-ki][kw-1-kj], rows padded to cout_pad
  std::vector<T> wt(g.groups * p.cout_pad * p.k, T(0)), zero_bias(g.groups * p.cout_pad, T(0));
  for (int64_t grp = 0; grp < g.groups; ++grp)
    for (int64_t o = 0; o < og; ++o)
      for (int64_t c = 0; c < cg; ++c)
        for (int64_t k = 0; k < kk; ++k)
          wt[(grp * p.cout_pad + c) * p.k + o * kk + (kk - 1 - k)] = w[((grp * og + o) * cg + c) * kk + k];
  run_forward(p, g.n, g.groups, g.oh, g.ow, qh, qw, go, wt.data(), zero_bias.data(), gi);
}

template <class T>
bool direct_conv_backward_weight(const Conv2dGeom& g, T* gw, const T* go, const T* x) {
  for (int64_t i = 0, n = g.n * g.c * g.h * g.w; i < n; ++i)
    if (!std::isfinite(x[i])) return false;  // 0 * inf in the garbage columns would poison gw
  const int64_t cg = g.c / g.groups, og = g.o / g.groups;
  Plan p = make_plan(32 / sizeof(T), cg, og, g.h, g.w, g.ph, g.pw, g.kh, g.kw, g.dh, g.dw, 1, WOB);
  const int64_t gsize = g.groups * p.cout_pad * p.k_pad * p.vn;
  const int nt = (int)std::max<int64_t>(1, std::min<int64_t>(get_num_threads(), g.n));
  std::vector<std::vector<T>> partial(nt);  // per-thread sums, added in thread order at the end
  const int used = over_samples(g.n, [&](int64_t s, int tid) {
    thread_local std::vector<T> xs, gs;
    xs.resize(p.scratch);
    gs.assign(p.cout_pad * p.pp, T(0));
    auto& acc = partial[tid];
    if (acc.empty()) acc.assign(gsize, T(0));
    for (int64_t grp = 0; grp < g.groups; ++grp) {
      pad_input(p, x + (s * g.c + grp * cg) * g.h * g.w, g.h, g.w, g.ph, g.pw, xs.data());
      const T* gsrc = go + (s * g.o + grp * og) * g.oh * g.ow;
      for (int64_t o = 0; o < og; ++o)
        for (int64_t r = 0; r < g.oh; ++r)
          std::memcpy(gs.data() + o * p.pp + r * p.wp, gsrc + (o * g.oh + r) * g.ow, sizeof(T) * g.ow);
      T* dst = acc.data() + grp * p.cout_pad * p.k_pad * p.vn;
      weight_kernel<T>(p, gs.data(), xs.data(), dst);
    }
  });
  for (int64_t grp = 0; grp < g.groups; ++grp)
    for (int64_t o = 0; o < og; ++o)
      for (int64_t k = 0; k < p.k; ++k) {
        T s = 0;
        for (int t = 0; t < used; ++t)
          if (!partial[t].empty())
            for (int64_t l = 0; l < p.vn; ++l) s += partial[t][((grp * p.cout_pad + o) * p.k_pad + k) * p.vn + l];
        gw[(grp * og + o) * p.k + k] = s;
      }
  return true;
}

template void direct_conv_forward<float>(const Conv2dGeom&, float*, const float*, const float*, const float*);
template void direct_conv_forward<double>(const Conv2dGeom&, double*, const double*, const double*, const double*);
template void direct_conv_backward_input<float>(const Conv2dGeom&, float*, const float*, const float*);
template void direct_conv_backward_input<double>(const Conv2dGeom&, double*, const double*, const double*);
template bool direct_conv_backward_weight<float>(const Conv2dGeom&, float*, const float*, const float*);
template bool direct_conv_backward_weight<double>(const Conv2dGeom&, double*, const double*, const double*);

}  // namespace pe::cpu

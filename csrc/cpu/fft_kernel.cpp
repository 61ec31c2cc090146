// The FFT kernel of cpu/fft.h: plans (factorization + twiddles, cached per n), the Stockham passes,
// Bluestein's algorithm, and the batched driver.
//
// Note [FFT kernel]
// ~~~~~~~~~~~~~~~~~
// Algorithm. A size whose prime factors are all below 64 is computed by a mixed-radix Stockham
// autosort FFT (decimation in frequency): n = r_1 r_2 ... r_m, one out-of-place pass per factor
// between two buffers, each pass doing n / r radix-r butterflies followed by twiddle multiplies. The
// Stockham form needs no bit-reversal permutation: the output comes out in natural order. Radices 4,
// 2, 3 and 5 have hand-written butterflies; other primes up to 61 use a generic butterfly that pairs
// u and r - u (one cosine sum and one sine sum for the two outputs), O(r) work per point. Any other
// size (a prime factor >= 67, e.g. a large prime) goes through Bluestein's chirp-z algorithm: with
// c_j = exp(-i pi j^2 / n), X_k = c_k sum_j (x_j c_j) conj(c_{k-j}), a circular convolution computed
// by power-of-two FFTs of length M >= 2n - 1 (the FFT of the chirp, divided by M, is in the plan).
// Only the forward transform is implemented; the inverse is conj(forward(conj(x))), exact in floating
// point, so every plan holds one set of twiddles.
//
// Precision. Everything is computed in double, float input included: a float transform is then the
// double result rounded once (the tests check this bit for bit), and float64 is within a few ulp *
// log2(n) of the exact DFT. Twiddles come from sin/cos of each angle, never from a recurrence
// (w_{k+1} = w_k * w_1 loses ~k ulp): the angle 2 pi k / n is reduced exactly in integers to an octant,
// evaluated in long double and rounded once to double, so each twiddle is within ~0.5 ulp. Bluestein's
// chirp uses (j^2 mod 2n), computed exactly in 128-bit integers, for the same reason: j^2 / n in
// floating point would lose all accuracy for large j.
//
// Plans. Building one costs O(n) sin/cos in long double, more than the transform itself, so plans are
// kept in a small LRU (kPlanCacheSize entries, one mutex) keyed by n; a plan is immutable and held by
// shared_ptr, so an entry evicted while another thread uses it stays alive until that thread is done.
//
// Threads. Transforms of a batch are independent: parallel_for over the batch, with a grain of ~2^16
// butterfly-point operations per chunk; each chunk has its own scratch (a contiguous
// double copy of one transform plus the Stockham/Bluestein buffers). One long transform runs on one
// thread.
#include "cpu/fft.h"

#include <cmath>
#include <list>
#include <memory>
#include <mutex>
#include <vector>

#include "core/error.h"
#include "cpu/parallel.h"

namespace pe::cpu {

namespace {

// Plain complex arithmetic: std::complex<double>'s operator* calls __muldc3 (the C99 NaN recovery)
// and is several times slower; layout is the same (re, im).
struct Cd {
  double re, im;
};
inline Cd operator+(Cd a, Cd b) { return {a.re + b.re, a.im + b.im}; }
inline Cd operator-(Cd a, Cd b) { return {a.re - b.re, a.im - b.im}; }
inline Cd operator*(Cd a, Cd b) { return {a.re * b.re - a.im * b.im, a.re * b.im + a.im * b.re}; }
inline Cd operator*(double s, Cd a) { return {s * a.re, s * a.im}; }
inline Cd conj(Cd a) { return {a.re, -a.im}; }
inline Cd mul_neg_i(Cd a) { return {a.im, -a.re}; }  // -i * a
inline Cd mul_i(Cd a) { return {-a.im, a.re}; }      // i * a

constexpr size_t kPlanCacheSize = 8;
constexpr int kMaxGenericRadix = 61;  // largest prime below 64

// exp(-2 pi i k / n), the forward twiddle, for any k >= 0 and n > 0. The angle is reduced in integers
// to theta = (pi/4) * (oct + r/n) with 0 <= r < n, so sin/cos are only ever evaluated on [0, pi/4] in
// long double: each result is within ~0.5 ulp of the true value after the one rounding to double.
Cd root(uint64_t k, uint64_t n) {
  const unsigned __int128 k8 = (unsigned __int128)(k % n) * 8;
  const int oct = (int)(k8 / n);
  const uint64_t r = (uint64_t)(k8 % n);
  const long double quarter_pi = 0.785398163397448309615660845819875721L;
  // phi = (pi/4) * r / n in [0, pi/4); psi = pi/4 - phi, from the integer complement (exact).
  const long double phi = quarter_pi * ((long double)r / (long double)n);
  const long double psi = quarter_pi * ((long double)(n - r) / (long double)n);
  long double c, s;
  switch (oct) {  // theta = oct * pi/4 + phi
    case 0: c = std::cos(phi), s = std::sin(phi); break;
    case 1: c = std::sin(psi), s = std::cos(psi); break;     // theta = pi/2 - psi
    case 2: c = -std::sin(phi), s = std::cos(phi); break;    // theta = pi/2 + phi
    case 3: c = -std::cos(psi), s = std::sin(psi); break;    // theta = pi - psi
    case 4: c = -std::cos(phi), s = -std::sin(phi); break;   // theta = pi + phi
    case 5: c = -std::sin(psi), s = -std::cos(psi); break;   // theta = 3pi/2 - psi
    case 6: c = std::sin(phi), s = -std::cos(phi); break;    // theta = 3pi/2 + phi
    default: c = std::cos(psi), s = -std::sin(psi); break;   // theta = 2pi - psi
  }
  return {(double)c, -(double)s};
}

struct Stage {
  int radix;
  int64_t s;  // stride of the pass (product of the radices before it)
  int64_t m;  // length of the sub-transforms after it (n / (s * radix))
  size_t tw;  // offset of its twiddles in Plan::tw: W_n^{p*u*s} at [tw + p*(radix-1) + u-1]
  size_t rt;  // generic radix: offset of W_radix^t (t < radix) in Plan::rtab
};

struct Plan {
  int64_t n = 0;
  std::vector<Stage> stages;
  std::vector<Cd> tw;
  std::vector<Cd> rtab;
  // Bluestein (when bluestein): chirp c_j = exp(-i pi j^2 / n), j < n; bfft = FFT_m2(b) / m2 where
  // b is conj(c) laid out circularly; sub is the plan of the power-of-two size m2.
  bool bluestein = false;
  int64_t m2 = 0;
  std::vector<Cd> chirp, bfft;
  std::shared_ptr<const Plan> sub;
  // Complex doubles of scratch a transform needs beyond its own n-element buffer.
  int64_t scratch() const { return bluestein ? 2 * m2 : n; }
  // Rough cost of one transform in butterfly-point operations (for the parallel grain).
  int64_t cost() const {
    return bluestein ? 2 * sub->cost() + 4 * n : n * (int64_t)(stages.size() + 1);
  }
};

std::shared_ptr<const Plan> get_plan(int64_t n);
Cd* run_plan(const Plan& plan, Cd* x, Cd* scratch);

// The radices of n in the order the passes run (4s first: fewest passes, then primes), or a partial list
// with *rest > 1 when a prime factor above kMaxGenericRadix remains (the plan is then Bluestein).
std::vector<int> factorize(int64_t n, int64_t* rest) {
  std::vector<int> f;
  while (n % 4 == 0) f.push_back(4), n /= 4;
  if (n % 2 == 0) f.push_back(2), n /= 2;
  for (int p = 3; p <= kMaxGenericRadix && n > 1; p += 2)
    while (n % p == 0) f.push_back(p), n /= p;  // p is prime here: its factors were removed before
  *rest = n;
  return f;
}

std::shared_ptr<const Plan> build_plan(int64_t n) {
  auto plan = std::make_shared<Plan>();
  plan->n = n;
  int64_t rest = 1;
  std::vector<int> factors = factorize(n, &rest);
  if (rest == 1) {
    int64_t s = 1;
    for (int r : factors) {
      Stage st{r, s, n / (s * r), plan->tw.size(), plan->rtab.size()};
      for (int64_t p = 0; p < st.m; ++p)
        for (int u = 1; u < r; ++u) plan->tw.push_back(root((uint64_t)(p * u * s), (uint64_t)n));
      if (r > 5)
        for (int t = 0; t < r; ++t) plan->rtab.push_back(root((uint64_t)t, (uint64_t)r));
      plan->stages.push_back(st);
      s *= r;
    }
    return plan;
  }
  plan->bluestein = true;
  int64_t m2 = 1;
  while (m2 < 2 * n - 1) m2 *= 2;
  plan->m2 = m2;
  plan->sub = get_plan(m2);
  plan->chirp.resize(n);
  const uint64_t two_n = 2 * (uint64_t)n;
  for (int64_t j = 0; j < n; ++j)
    plan->chirp[j] = root((uint64_t)((unsigned __int128)j * (uint64_t)j % two_n), two_n);
  std::vector<Cd> b(2 * m2, Cd{0, 0});
  b[0] = conj(plan->chirp[0]);
  for (int64_t l = 1; l < n; ++l) b[l] = b[m2 - l] = conj(plan->chirp[l]);
  const Cd* bf = run_plan(*plan->sub, b.data(), b.data() + m2);
  plan->bfft.resize(m2);
  const double inv_m2 = 1.0 / (double)m2;  // exact: m2 is a power of two
  for (int64_t k = 0; k < m2; ++k) plan->bfft[k] = inv_m2 * bf[k];
  return plan;
}

// A small LRU of plans keyed by n (Note [FFT kernel]). Plans are built outside the lock.
class PlanCache {
 public:
  std::shared_ptr<const Plan> get(int64_t n) {
    {
      std::lock_guard<std::mutex> g(mu_);
      if (auto p = find_locked(n)) return p;
    }
    std::shared_ptr<const Plan> built = build_plan(n);
    std::lock_guard<std::mutex> g(mu_);
    if (auto p = find_locked(n)) return p;  // another thread built it meanwhile
    lru_.push_front(built);
    if (lru_.size() > kPlanCacheSize) lru_.pop_back();
    return built;
  }

 private:
  std::shared_ptr<const Plan> find_locked(int64_t n) {
    for (auto it = lru_.begin(); it != lru_.end(); ++it)
      if ((*it)->n == n) {
        lru_.splice(lru_.begin(), lru_, it);  // most recently used first
        return lru_.front();
      }
    return nullptr;
  }

  std::mutex mu_;
  std::list<std::shared_ptr<const Plan>> lru_;
};

std::shared_ptr<const Plan> get_plan(int64_t n) {
  static PlanCache cache;
  return cache.get(n);
}

// ---- Stockham passes: x -> y, with x[q + s*(p + t*m)] (t < r) giving y[q + s*(r*p + u)] (u < r). ----

template <class Butterfly, int R>
void pass_fixed(const Stage& st, const Cd* __restrict__ tw, const Cd* __restrict__ x, Cd* __restrict__ y,
                const Butterfly& bfly) {
  const int64_t s = st.s, m = st.m;
  Cd a[R], o[R], w[R];
  if (s == 1) {  // the first pass: one butterfly per p
    for (int64_t p = 0; p < m; ++p) {
      for (int t = 0; t < R; ++t) a[t] = x[p + t * m];
      bfly(a, o);
      Cd* yo = y + R * p;
      yo[0] = o[0];
      for (int u = 1; u < R; ++u) yo[u] = o[u] * tw[p * (R - 1) + u - 1];
    }
    return;
  }
  for (int64_t p = 0; p < m; ++p) {
    for (int u = 1; u < R; ++u) w[u] = tw[p * (R - 1) + u - 1];
    const Cd* xi = x + s * p;
    Cd* yo = y + s * R * p;
    for (int64_t q = 0; q < s; ++q) {
      for (int t = 0; t < R; ++t) a[t] = xi[q + s * m * t];
      bfly(a, o);
      yo[q] = o[0];
      if (p == 0) {  // twiddles are all 1
        for (int u = 1; u < R; ++u) yo[q + s * u] = o[u];
      } else {
        for (int u = 1; u < R; ++u) yo[q + s * u] = o[u] * w[u];
      }
    }
  }
}

struct Bfly2 {
  void operator()(const Cd* a, Cd* o) const {
    o[0] = a[0] + a[1];
    o[1] = a[0] - a[1];
  }
};

struct Bfly3 {
  void operator()(const Cd* a, Cd* o) const {
    const double kHalfSqrt3 = 0.866025403784438646763723170752936183;  // sin(2 pi / 3)
    const Cd t1 = a[1] + a[2];
    const Cd t2 = a[0] - 0.5 * t1;
    const Cd d = kHalfSqrt3 * (a[1] - a[2]);
    o[0] = a[0] + t1;
    o[1] = t2 + mul_neg_i(d);
    o[2] = t2 + mul_i(d);
  }
};

struct Bfly4 {
  void operator()(const Cd* a, Cd* o) const {
    const Cd t0 = a[0] + a[2], t1 = a[0] - a[2], t2 = a[1] + a[3], t3 = a[1] - a[3];
    o[0] = t0 + t2;
    o[2] = t0 - t2;
    o[1] = t1 + mul_neg_i(t3);
    o[3] = t1 + mul_i(t3);
  }
};

struct Bfly5 {
  void operator()(const Cd* a, Cd* o) const {
    const double c1 = 0.309016994374947424102293417182819059;   // cos(2 pi / 5)
    const double c2 = -0.809016994374947424102293417182819059;  // cos(4 pi / 5)
    const double s1 = 0.951056516295153572116439333379382143;   // sin(2 pi / 5)
    const double s2 = 0.587785252292473129168705954639072769;   // sin(4 pi / 5)
    const Cd b1 = a[1] + a[4], b2 = a[2] + a[3], d1 = a[1] - a[4], d2 = a[2] - a[3];
    o[0] = a[0] + b1 + b2;
    const Cd r1 = a[0] + c1 * b1 + c2 * b2, i1 = s1 * d1 + s2 * d2;
    const Cd r2 = a[0] + c2 * b1 + c1 * b2, i2 = s2 * d1 - s1 * d2;
    o[1] = r1 + mul_neg_i(i1);
    o[4] = r1 + mul_i(i1);
    o[2] = r2 + mul_neg_i(i2);
    o[3] = r2 + mul_i(i2);
  }
};

// Generic odd prime r <= kMaxGenericRadix: y_u and y_{r-u} share the cosine sum over a_t + a_{r-t} and
// the sine sum over a_t - a_{r-t}. rt[k] = W_r^k = (cos, -sin)(2 pi k / r).
void pass_generic(const Stage& st, const Cd* __restrict__ tw, const Cd* __restrict__ rt, const Cd* __restrict__ x,
                  Cd* __restrict__ y) {
  const int r = st.radix, h = (r - 1) / 2;
  const int64_t s = st.s, m = st.m;
  Cd a0, sp[kMaxGenericRadix / 2 + 1], dm[kMaxGenericRadix / 2 + 1], o[kMaxGenericRadix];
  for (int64_t p = 0; p < m; ++p) {
    const Cd* w = tw + p * (r - 1);
    for (int64_t q = 0; q < s; ++q) {
      const Cd* xi = x + q + s * p;
      a0 = xi[0];
      Cd sum = a0;
      for (int t = 1; t <= h; ++t) {
        const Cd at = xi[s * m * t], bt = xi[s * m * (r - t)];
        sp[t] = at + bt;
        dm[t] = at - bt;
        sum = sum + sp[t];
      }
      o[0] = sum;
      for (int u = 1; u <= h; ++u) {
        Cd re = a0, im{0, 0};
        int k = 0;
        for (int t = 1; t <= h; ++t) {
          k += u;
          if (k >= r) k -= r;
          re = re + rt[k].re * sp[t];
          im = im - rt[k].im * dm[t];  // rt[k].im = -sin(2 pi k / r)
        }
        o[u] = re + mul_neg_i(im);
        o[r - u] = re + mul_i(im);
      }
      Cd* yo = y + q + s * r * p;
      yo[0] = o[0];
      if (p == 0) {
        for (int u = 1; u < r; ++u) yo[s * u] = o[u];
      } else {
        for (int u = 1; u < r; ++u) yo[s * u] = o[u] * w[u - 1];
      }
    }
  }
}

// The forward DFT of x[0, n) in place of x or of scratch: returns where the result is. Stockham plans
// use scratch[0, n); Bluestein plans scratch[0, 2*m2).
Cd* run_plan(const Plan& plan, Cd* x, Cd* scratch) {
  if (!plan.bluestein) {
    Cd *src = x, *dst = scratch;
    for (const Stage& st : plan.stages) {
      const Cd* tw = plan.tw.data() + st.tw;
      switch (st.radix) {
        case 2: pass_fixed<Bfly2, 2>(st, tw, src, dst, Bfly2{}); break;
        case 3: pass_fixed<Bfly3, 3>(st, tw, src, dst, Bfly3{}); break;
        case 4: pass_fixed<Bfly4, 4>(st, tw, src, dst, Bfly4{}); break;
        case 5: pass_fixed<Bfly5, 5>(st, tw, src, dst, Bfly5{}); break;
        default: pass_generic(st, tw, plan.rtab.data() + st.rt, src, dst); break;
      }
      std::swap(src, dst);
    }
    return src;
  }
  const int64_t n = plan.n, m2 = plan.m2;
  Cd *a = scratch, *tmp = scratch + m2;
  for (int64_t j = 0; j < n; ++j) a[j] = x[j] * plan.chirp[j];
  for (int64_t j = n; j < m2; ++j) a[j] = Cd{0, 0};
  Cd* fa = run_plan(*plan.sub, a, tmp);
  Cd* other = fa == a ? tmp : a;
  // Circular convolution with b: inverse FFT of A * B, as conj(FFT(conj(A * B))) (B holds the 1/m2).
  for (int64_t k = 0; k < m2; ++k) fa[k] = conj(fa[k] * plan.bfft[k]);
  const Cd* conv = run_plan(*plan.sub, fa, other);
  for (int64_t k = 0; k < n; ++k) x[k] = conj(conv[k]) * plan.chirp[k];
  return x;
}

}  // namespace

template <class T>
void fft_c2c(const std::complex<T>* in, int64_t in_stride, int64_t in_dist, std::complex<T>* out,
             int64_t out_stride, int64_t out_dist, int64_t n, int64_t howmany, bool forward, double scale) {
  PE_CHECK(n >= 0, "fft_c2c: transform length must be non-negative, got ", n);
  PE_CHECK(howmany >= 0, "fft_c2c: batch count must be non-negative, got ", howmany);
  if (n == 0 || howmany == 0) return;
  std::shared_ptr<const Plan> plan = get_plan(n);
  // A chunk of at least ~2^16 butterfly-point operations per thread wake-up.
  const int64_t grain = std::max<int64_t>(1, (int64_t(1) << 16) / std::max<int64_t>(1, plan->cost()));
  const double conj_sign = forward ? 1.0 : -1.0;  // inverse = conj(forward(conj(x)))
  parallel_for(0, howmany, grain, [&](int64_t b0, int64_t b1) {
    std::vector<Cd> work((size_t)(n + plan->scratch()));
    Cd* buf = work.data();
    for (int64_t b = b0; b < b1; ++b) {
      // The whole transform is read before any of it is written: in == out aliasing is fine.
      const std::complex<T>* src = in + b * in_dist;
      for (int64_t j = 0; j < n; ++j) {
        const std::complex<T> v = src[j * in_stride];
        buf[j] = Cd{(double)v.real(), conj_sign * (double)v.imag()};
      }
      const Cd* res = run_plan(*plan, buf, buf + n);
      std::complex<T>* dst = out + b * out_dist;
      const double im_scale = conj_sign * scale;
      for (int64_t k = 0; k < n; ++k)
        dst[k * out_stride] = std::complex<T>((T)(scale * res[k].re), (T)(im_scale * res[k].im));
    }
  });
}

template void fft_c2c<float>(const std::complex<float>*, int64_t, int64_t, std::complex<float>*, int64_t, int64_t,
                             int64_t, int64_t, bool, double);
template void fft_c2c<double>(const std::complex<double>*, int64_t, int64_t, std::complex<double>*, int64_t,
                              int64_t, int64_t, int64_t, bool, double);

}  // namespace pe::cpu

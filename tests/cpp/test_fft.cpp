// Our FFT kernel (cpu/fft.h) against a naive DFT in long double: every n up to 130, primes (Bluestein),
// powers of two up to 2^16, mixed radices, both directions, strided and batched layouts, in == out,
// float and double; float results equal the double kernel's rounded once; inverse(forward(x)) / n == x.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <complex>
#include <random>
#include <thread>
#include <vector>

#include "core/error.h"
#include "cpu/fft.h"
#include "cpu/parallel.h"

using namespace pe::cpu;

namespace {

using cld = std::complex<long double>;

template <class T>
std::vector<std::complex<T>> random_complex(size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> d(-1.0, 1.0);
  std::vector<std::complex<T>> v(n);
  for (auto& x : v) x = std::complex<T>(T(d(rng)), T(d(rng)));
  return v;
}

// The DFT of x (length n, stride 1) in long double at the outputs ks: exp(sign 2 pi i j k / n) from a
// table indexed by j*k mod n, so the reference has no accumulated angle error.
template <class T>
std::vector<cld> naive_dft(const std::complex<T>* x, int64_t stride, int64_t n, bool forward,
                           const std::vector<int64_t>& ks) {
  const long double two_pi = 6.283185307179586476925286766559005768L;
  std::vector<cld> w(n);
  for (int64_t t = 0; t < n; ++t) {
    const long double a = two_pi * (long double)t / (long double)n;
    w[t] = cld(std::cos(a), (forward ? -1 : 1) * std::sin(a));
  }
  std::vector<cld> out;
  for (int64_t k : ks) {
    cld s = 0;
    int64_t idx = 0;
    for (int64_t j = 0; j < n; ++j) {
      const std::complex<T> v = x[j * stride];
      s += cld(v.real(), v.imag()) * w[idx];
      idx += k;
      if (idx >= n) idx -= n;
    }
    out.push_back(s);
  }
  return out;
}

std::vector<int64_t> all_k(int64_t n) {
  std::vector<int64_t> ks(n);
  for (int64_t k = 0; k < n; ++k) ks[k] = k;
  return ks;
}

// Outputs checked for large n (the naive DFT is O(n) per output): the ends, a spread, and random ones.
std::vector<int64_t> sample_k(int64_t n) {
  if (n <= 4200) return all_k(n);
  std::vector<int64_t> ks = {0, 1, 2, n / 4, n / 3, n / 2, n - 1, n - 2};
  std::mt19937 rng((unsigned)n);
  for (int i = 0; i < 48; ++i) ks.push_back((int64_t)(rng() % (uint64_t)n));
  return ks;
}

template <class T>
double rtol() {
  return std::is_same_v<T, float> ? 1e-6 : 1e-12;
}

// Max |got - ref| relative to max |ref| over the outputs ks of one transform.
template <class T>
double rel_err(const std::complex<T>* got, int64_t stride, const std::vector<cld>& ref, const std::vector<int64_t>& ks,
               double scale) {
  long double err = 0, mx = 0;
  for (size_t i = 0; i < ks.size(); ++i) {
    const cld r = ref[i] * (long double)scale;
    const std::complex<T> g = got[ks[i] * stride];
    err = std::max(err, std::abs(cld(g.real(), g.imag()) - r));
    mx = std::max(mx, std::abs(r));
  }
  return mx == 0 ? (double)err : (double)(err / mx);
}

// One contiguous transform of size n in the given direction, against the naive DFT.
template <class T>
void check_size(int64_t n, bool forward, double scale = 1.0) {
  auto x = random_complex<T>((size_t)n, (unsigned)(n * 2 + forward));
  std::vector<std::complex<T>> y((size_t)n, std::complex<T>(T(7), T(7)));
  fft_c2c<T>(x.data(), 1, n, y.data(), 1, n, n, 1, forward, scale);
  const auto ks = sample_k(n);
  const auto ref = naive_dft(x.data(), 1, n, forward, ks);
  EXPECT_LE(rel_err(y.data(), 1, ref, ks, scale), rtol<T>()) << "n=" << n << " forward=" << forward;
}

// Sizes: every n to 130, primes (Bluestein above 64), powers of two to 2^16, mixed radices.
std::vector<int64_t> big_sizes() {
  return {127, 131, 257, 1009, 4099, 2 * 3 * 5 * 7 * 11, 3 * 3 * 3 * 3 * 3 * 3, 5 * 5 * 5 * 5, 7 * 11 * 13,
          61 * 59, 2 * 67, 67 * 67, 4 * 4093, 1000, 1024, 4096, 6000, 8192, 32768, 65536, 3 * 65536, 100003};
}

}  // namespace

TEST(Fft, EverySizeUpTo130) {
  for (int64_t n = 1; n <= 130; ++n)
    for (bool fwd : {true, false}) {
      check_size<double>(n, fwd);
      check_size<float>(n, fwd);
    }
}

TEST(Fft, PowersOfTwo) {
  for (int64_t n = 1; n <= 65536; n *= 2)
    for (bool fwd : {true, false}) {
      check_size<double>(n, fwd);
      check_size<float>(n, fwd);
    }
}

TEST(Fft, PrimesMixedRadicesAndLargeSizes) {
  for (int64_t n : big_sizes())
    for (bool fwd : {true, false}) {
      check_size<double>(n, fwd);
      check_size<float>(n, fwd);
    }
}

TEST(Fft, ScaleIsApplied) {
  check_size<double>(12, true, 0.25);
  check_size<double>(131, false, 1.0 / 131);
  check_size<float>(60, false, -3.0);
}

// float64 results are within a few ulp * log2(n) of the exact DFT (the accuracy the twiddles buy: a
// recurrence for them would fail this at the large sizes).
TEST(Fft, DoubleAccuracyScalesWithLogN) {
  std::vector<int64_t> sizes = big_sizes();
  for (int64_t n = 2; n <= 130; ++n) sizes.push_back(n);
  for (int64_t n : sizes) {
    auto x = random_complex<double>((size_t)n, 11);
    std::vector<std::complex<double>> y((size_t)n);
    fft_c2c<double>(x.data(), 1, n, y.data(), 1, n, n, 1, true, 1.0);
    const auto ks = sample_k(n);
    const auto ref = naive_dft(x.data(), 1, n, true, ks);
    const double bound = 2 * 2.220446049250313e-16 * (std::log2((double)n) + 1);  // measured: <= 0.12x this
    EXPECT_LE(rel_err(y.data(), 1, ref, ks, 1.0), bound) << "n=" << n;
  }
}

// A float transform is the double kernel's result rounded once, bit for bit.
TEST(Fft, FloatIsRoundedDouble) {
  for (int64_t n : {1, 2, 7, 12, 67, 127, 210, 1024, 4099}) {
    for (bool fwd : {true, false}) {
      auto xf = random_complex<float>((size_t)n, 5);
      std::vector<std::complex<double>> xd(xf.begin(), xf.end()), yd((size_t)n);
      std::vector<std::complex<float>> yf((size_t)n);
      const double scale = fwd ? 1.0 : 1.0 / (double)n;
      fft_c2c<float>(xf.data(), 1, n, yf.data(), 1, n, n, 1, fwd, scale);
      fft_c2c<double>(xd.data(), 1, n, yd.data(), 1, n, n, 1, fwd, scale);
      for (int64_t k = 0; k < n; ++k) {
        ASSERT_EQ(yf[k].real(), (float)yd[k].real()) << "n=" << n << " k=" << k;
        ASSERT_EQ(yf[k].imag(), (float)yd[k].imag()) << "n=" << n << " k=" << k;
      }
    }
  }
}

// Strided input and output, a batch with dist != n, and elements between the transforms untouched.
template <class T>
void check_layout(int64_t n, int64_t howmany, int64_t is, int64_t idist, int64_t os, int64_t odist, bool fwd) {
  const int64_t in_size = (howmany - 1) * idist + (n - 1) * is + 1;
  const int64_t out_size = (howmany - 1) * odist + (n - 1) * os + 1;
  auto in = random_complex<T>((size_t)in_size, (unsigned)(n + howmany));
  const std::complex<T> sentinel(T(-99), T(99));
  std::vector<std::complex<T>> out((size_t)out_size, sentinel);
  fft_c2c<T>(in.data(), is, idist, out.data(), os, odist, n, howmany, fwd, 0.5);
  std::vector<char> written((size_t)out_size, 0);
  const auto ks = all_k(n);
  for (int64_t b = 0; b < howmany; ++b) {
    const auto ref = naive_dft(in.data() + b * idist, is, n, fwd, ks);
    EXPECT_LE(rel_err(out.data() + b * odist, os, ref, ks, 0.5), rtol<T>()) << "n=" << n << " b=" << b;
    for (int64_t k = 0; k < n; ++k) written[(size_t)(b * odist + k * os)] = 1;
  }
  for (int64_t i = 0; i < out_size; ++i)
    if (!written[i]) ASSERT_EQ(out[i], sentinel) << "wrote outside the transforms at " << i;
}

TEST(Fft, StridedAndBatched) {
  for (int64_t n : {1, 5, 16, 30, 97, 128, 210}) {
    for (bool fwd : {true, false}) {
      check_layout<double>(n, 3, 3, 3 * n + 5, 2, 2 * n + 1, fwd);  // strided, dist != n
      check_layout<float>(n, 4, 1, n + 3, 1, n + 7, fwd);           // contiguous rows, padded dists
      check_layout<double>(n, 5, 5, 1, 1, n, fwd);                  // interleaved batch (dist 1)
      check_layout<float>(n, 4, 1, n, 4, 1, fwd);                   // output interleaved
    }
  }
}

// Negative strides and dists: the input read backwards, the batch walked from its last transform.
TEST(Fft, NegativeStrides) {
  for (int64_t n : {1, 9, 64, 131}) {
    const int64_t howmany = 3;
    auto base = random_complex<double>((size_t)(2 * n * howmany), 17);
    std::vector<std::complex<double>> out((size_t)(n * howmany));
    // Transform b reads base[(howmany-1-b)*2n + 2(n-1-j)], j < n; writes out[(howmany-1-b)*n + k].
    const std::complex<double>* in = base.data() + (howmany - 1) * 2 * n + 2 * (n - 1);
    fft_c2c<double>(in, -2, -2 * n, out.data() + (howmany - 1) * n, 1, -n, n, howmany, true, 1.0);
    const auto ks = all_k(n);
    for (int64_t b = 0; b < howmany; ++b) {
      const auto ref = naive_dft(in - b * 2 * n, -2, n, true, ks);
      EXPECT_LE(rel_err(out.data() + (howmany - 1 - b) * n, 1, ref, ks, 1.0), 1e-12) << "n=" << n;
    }
  }
}

// Many small transforms: the batch is split across threads (the grain is far below the batch).
TEST(Fft, LargeBatchAcrossThreads) {
  for (int64_t n : {8, 12, 67}) {
    const int64_t howmany = 20000;
    auto x = random_complex<double>((size_t)(n * howmany), 3);
    std::vector<std::complex<double>> y(x.size());
    fft_c2c<double>(x.data(), 1, n, y.data(), 1, n, n, howmany, true, 1.0);
    const auto ks = all_k(n);
    for (int64_t b = 0; b < howmany; b += 997) {
      const auto ref = naive_dft(x.data() + b * n, 1, n, true, ks);
      EXPECT_LE(rel_err(y.data() + b * n, 1, ref, ks, 1.0), 1e-12) << "n=" << n << " b=" << b;
    }
    // Every transform, against the same kernel one at a time.
    for (int64_t b = 0; b < howmany; b += 37) {
      std::vector<std::complex<double>> one((size_t)n);
      fft_c2c<double>(x.data() + b * n, 1, n, one.data(), 1, n, n, 1, true, 1.0);
      for (int64_t k = 0; k < n; ++k) ASSERT_EQ(one[k], y[b * n + k]);
    }
  }
}

// in == out with equal strides and dists.
template <class T>
void check_in_place(int64_t n, int64_t howmany, int64_t stride, int64_t dist, bool fwd) {
  const int64_t size = (howmany - 1) * dist + (n - 1) * stride + 1;
  auto data = random_complex<T>((size_t)size, 9);
  const auto orig = data;
  fft_c2c<T>(data.data(), stride, dist, data.data(), stride, dist, n, howmany, fwd, 1.0);
  const auto ks = all_k(n);
  for (int64_t b = 0; b < howmany; ++b) {
    const auto ref = naive_dft(orig.data() + b * dist, stride, n, fwd, ks);
    EXPECT_LE(rel_err(data.data() + b * dist, stride, ref, ks, 1.0), rtol<T>()) << "n=" << n;
  }
}

TEST(Fft, InPlace) {
  for (int64_t n : {1, 6, 64, 101, 360}) {
    for (bool fwd : {true, false}) {
      check_in_place<double>(n, 3, 1, n, fwd);
      check_in_place<double>(n, 3, 2, 2 * n + 1, fwd);
      check_in_place<float>(n, 2, 3, 1, fwd);  // interleaved
    }
  }
}

// inverse(forward(x)) / n == x.
template <class T>
void check_round_trip(int64_t n) {
  auto x = random_complex<T>((size_t)n, 21);
  std::vector<std::complex<T>> f((size_t)n), back((size_t)n);
  fft_c2c<T>(x.data(), 1, n, f.data(), 1, n, n, 1, true, 1.0);
  fft_c2c<T>(f.data(), 1, n, back.data(), 1, n, n, 1, false, 1.0 / (double)n);
  double err = 0;
  for (int64_t j = 0; j < n; ++j) err = std::max(err, (double)std::abs(back[j] - x[j]));
  EXPECT_LE(err, (std::is_same_v<T, float> ? 2e-6 : 1e-14)) << "n=" << n;
}

TEST(Fft, RoundTrip) {
  for (int64_t n : {1, 2, 3, 17, 64, 97, 127, 210, 1009, 4096, 4099, 65536}) {
    check_round_trip<double>(n);
    check_round_trip<float>(n);
  }
}

TEST(Fft, EmptyAndSizeOne) {
  std::complex<double> a(1.5, -2.0), b(0, 0);
  fft_c2c<double>(nullptr, 1, 0, nullptr, 1, 0, 0, 5, true, 1.0);  // n = 0: nothing read or written
  fft_c2c<double>(&a, 1, 1, &b, 1, 1, 1, 0, true, 1.0);           // howmany = 0
  EXPECT_EQ(b, std::complex<double>(0, 0));
  fft_c2c<double>(&a, 1, 1, &b, 1, 1, 1, 1, true, 2.0);
  EXPECT_EQ(b, std::complex<double>(3.0, -4.0));
  fft_c2c<double>(&a, 1, 1, &b, 1, 1, 1, 1, false, 1.0);
  EXPECT_EQ(b, a);
  EXPECT_THROW(fft_c2c<double>(&a, 1, 1, &b, 1, 1, -1, 1, true, 1.0), pe::Error);
  EXPECT_THROW(fft_c2c<double>(&a, 1, 1, &b, 1, 1, 1, -1, true, 1.0), pe::Error);
}

// Special values: a delta gives a flat spectrum exactly, a constant gives n at bin 0 only.
TEST(Fft, DeltaAndConstant) {
  for (int64_t n : {4, 12, 30, 64, 1024}) {  // Stockham sizes
    std::vector<std::complex<double>> x((size_t)n, 0.0), y((size_t)n);
    x[0] = 1.0;
    fft_c2c<double>(x.data(), 1, n, y.data(), 1, n, n, 1, true, 1.0);
    for (auto v : y) ASSERT_EQ(v, std::complex<double>(1.0, 0.0)) << "n=" << n;
    std::fill(x.begin(), x.end(), std::complex<double>(1.0, 0.0));
    fft_c2c<double>(x.data(), 1, n, y.data(), 1, n, n, 1, true, 1.0);
    EXPECT_NEAR(y[0].real(), (double)n, 1e-12 * n);
    for (int64_t k = 1; k < n; ++k) ASSERT_LT(std::abs(y[k]), 1e-12 * n) << "n=" << n << " k=" << k;
  }
}

// Many sizes from several threads at once: more sizes than the plan cache holds, so plans are built,
// evicted and rebuilt concurrently; every result must still match a single-threaded run.
TEST(Fft, PlanCacheUnderContention) {
  const std::vector<int64_t> sizes = {7, 67, 100, 127, 128, 210, 257, 360, 1009, 1024, 97, 30};
  std::vector<std::vector<std::complex<double>>> expect;
  for (int64_t n : sizes) {
    auto x = random_complex<double>((size_t)n, (unsigned)n);
    std::vector<std::complex<double>> y((size_t)n);
    fft_c2c<double>(x.data(), 1, n, y.data(), 1, n, n, 1, true, 1.0);
    expect.push_back(y);
  }
  std::atomic<int> mismatches{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      for (int rep = 0; rep < 20; ++rep)
        for (size_t i = 0; i < sizes.size(); ++i) {
          const size_t s = (i + (size_t)t * 5 + (size_t)rep) % sizes.size();
          const int64_t n = sizes[s];
          auto x = random_complex<double>((size_t)n, (unsigned)n);
          std::vector<std::complex<double>> y((size_t)n);
          fft_c2c<double>(x.data(), 1, n, y.data(), 1, n, n, 1, true, 1.0);
          if (y != expect[s]) ++mismatches;
        }
    });
  for (auto& th : threads) th.join();
  EXPECT_EQ(mismatches.load(), 0);
}

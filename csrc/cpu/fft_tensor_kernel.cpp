// CPU kernels of the torch.fft primitives (ops/fft.h) over tensors: each 1-D line along `dim` of a
// contiguous tensor goes through the batched 1-D transform of cpu/fft.h (Note [FFT kernel]).
#include <complex>
#include <vector>

#include "cpu/fft.h"
#include "cpu/parallel.h"
#include "ops/fft.h"

namespace pe::cpu {
namespace {

// outer x n x inner: the sizes before, along and after `dim` of a contiguous tensor.
void split_at(const Tensor& t, int64_t dim, int64_t& outer, int64_t& n, int64_t& inner) {
  outer = inner = 1;
  for (int64_t d = 0; d < dim; ++d) outer *= t.sizes()[d];
  n = t.sizes()[dim];
  for (int64_t d = dim + 1; d < t.dim(); ++d) inner *= t.sizes()[d];
}

void fft_c2c_kernel(const Tensor& out, int64_t dim, bool forward, double scale) {
  int64_t outer, n, inner;
  split_at(out, dim, outer, n, inner);
  PE_DISPATCH_COMPLEX_TYPES(out.dtype(), "fft_c2c", [&] {
    using R = typename scalar_t::value_type;
    auto* p = reinterpret_cast<std::complex<R>*>(out.raw_data());
    if (inner == 1) {  // lines are contiguous: one batched call over all of them
      fft_c2c<R>(p, 1, n, p, 1, n, n, outer, forward, scale);
      return;
    }
    for (int64_t o = 0; o < outer; ++o) {  // lines are strided by `inner`; neighbours are the batch
      std::complex<R>* base = p + o * n * inner;
      fft_c2c<R>(base, inner, 1, base, inner, 1, n, inner, forward, scale);
    }
  });
}

void fft_c2r_kernel(const Tensor& out, const Tensor& in, int64_t dim, double scale) {
  int64_t outer, n, inner, m_outer, m, m_inner;
  split_at(out, dim, outer, n, inner);
  split_at(in, dim, m_outer, m, m_inner);
  PE_DISPATCH_COMPLEX_TYPES(in.dtype(), "fft_c2r", [&] {
    using R = typename scalar_t::value_type;
    using C = std::complex<R>;
    const C* src = reinterpret_cast<const C*>(in.raw_data());
    R* dst = static_cast<R*>(out.raw_data());
    const int64_t lines = outer * inner;
    parallel_for(0, lines, std::max<int64_t>(1, 4096 / std::max<int64_t>(n, 1)), [&](int64_t b, int64_t e) {
      std::vector<C> line(n);
      for (int64_t l = b; l < e; ++l) {
        const int64_t o = l / inner, i = l % inner;
        const C* s = src + o * m * inner + i;
        // The Hermitian extension: X[k] = s[k] for k <= n/2, X[k] = conj(s[n - k]) above.
        for (int64_t k = 0; k <= n / 2; ++k) line[k] = s[k * inner];
        for (int64_t k = n / 2 + 1; k < n; ++k) line[k] = std::conj(s[(n - k) * inner]);
        fft_c2c<R>(line.data(), 1, n, line.data(), 1, n, n, 1, /*forward=*/false, scale);
        R* d = dst + o * n * inner + i;
        for (int64_t k = 0; k < n; ++k) d[k * inner] = line[k].real();
      }
    });
  });
}

PE_REGISTER_KERNEL(fft_c2c_stub, CPU, &fft_c2c_kernel);
PE_REGISTER_KERNEL(fft_c2r_stub, CPU, &fft_c2r_kernel);

}  // namespace
}  // namespace pe::cpu

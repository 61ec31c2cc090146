// Our FFT kernel on raw buffers (no Tensor): batched 1-D complex DFTs by a mixed-radix Stockham
// FFT (radix 4, 2, 3, 5 and a generic odd-prime butterfly up to 61) and Bluestein's chirp-z
// algorithm for sizes with a prime factor above 64. Always computed in double precision with
// twiddles from exact sin/cos; Note [FFT kernel] in fft_kernel.cpp says why.
#pragma once
#include <complex>
#include <cstdint>

namespace pe::cpu {

// Batched 1-D complex DFT, computed in double precision whatever T is (T = float or double):
//   out[b*out_dist + k*out_stride] = scale * sum_j in[b*in_dist + j*in_stride] * exp(sign*2*pi*i*j*k/n)
// for b in [0, howmany), k in [0, n); sign = -1 for forward, +1 for inverse (no 1/n: pass it in scale).
// Strides and dists are in elements and may be any value (negative included) for which the
// transforms read and write where the caller means. in and out may alias exactly (in == out with
// equal strides and dists); any other overlap between the input and output is not supported.
// n == 0 or howmany == 0 does nothing; n < 0 or howmany < 0 raises pe::Error.
template <class T>
void fft_c2c(const std::complex<T>* in, int64_t in_stride, int64_t in_dist, std::complex<T>* out,
             int64_t out_stride, int64_t out_dist, int64_t n, int64_t howmany, bool forward, double scale);

}  // namespace pe::cpu

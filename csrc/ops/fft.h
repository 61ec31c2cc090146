// The three discrete Fourier transform primitives torch.fft is built from (pyengine/fft.py), as
// aten's _fft_c2c/_fft_r2c/_fft_c2r. `norm` is aten's fft_norm_mode: 0 = no scaling, 1 = 1/sqrt(n),
// 2 = 1/n, with n the product of the transformed sizes (of the output for c2r).
#pragma once
#include "core/dispatch.h"
#include "core/tensor.h"

namespace pe {

// Complex -> complex along `dims`; forward uses exp(-2*pi*i*j*k/n).
Tensor fft_c2c(const Tensor& x, const DimVector& dims, int64_t norm, bool forward);
// Real -> complex forward transform along `dims`; onesided keeps the last dim's n/2 + 1 bins.
Tensor fft_r2c(const Tensor& x, const DimVector& dims, int64_t norm, bool onesided);
// Complex (Hermitian half spectrum along dims.back()) -> real inverse transform; the last dim of the
// output has last_dim_size elements, the input's has last_dim_size / 2 + 1.
Tensor fft_c2r(const Tensor& x, const DimVector& dims, int64_t norm, int64_t last_dim_size);

// Kernels. fft_c2c_stub: out (complex, contiguous) = DFT of out along `dim`, times scale.
using FftC2CFn = void (*)(const Tensor& out, int64_t dim, bool forward, double scale);
extern DispatchStub<FftC2CFn> fft_c2c_stub;
// fft_c2r_stub: out (real, contiguous, size n along dim) = scale * Re(inverse DFT of the Hermitian
// extension of in (complex, contiguous, size n / 2 + 1 along dim)).
using FftC2RFn = void (*)(const Tensor& out, const Tensor& in, int64_t dim, double scale);
extern DispatchStub<FftC2RFn> fft_c2r_stub;

}  // namespace pe

// torch.fft's primitives (ops/fft.h): argument checks, dtype and layout, then the kernels.
#include "ops/fft.h"

#include <cmath>

#include "core/shape.h"
#include "ops/ops.h"

namespace pe {

DispatchStub<FftC2CFn> fft_c2c_stub("fft_c2c");
DispatchStub<FftC2RFn> fft_c2r_stub("fft_c2r");

namespace {

DimVector checked_dims(const Tensor& x, const DimVector& dims, const char* fn) {
  PE_CHECK(x.device().is_cpu() || x.device().is_meta(), fn, " is not implemented for device '", x.device().str(),
           "' in pyengine (the FFT kernel runs on the CPU: move the tensor with .cpu())");
  DimVector out;
  for (int64_t d : dims) {
    int64_t w = wrap_dim(d, x.dim());
    for (int64_t o : out) PE_CHECK(o != w, fn, ": dims must be unique");
    out.push_back(w);
  }
  return out;
}

double scale_of(int64_t norm, int64_t n) {
  PE_CHECK(norm >= 0 && norm <= 2, "Invalid normalization mode: ", norm);
  if (norm == 0 || n == 0) return 1.0;
  return norm == 1 ? 1.0 / std::sqrt((double)n) : 1.0 / (double)n;
}

// Transforms `out` (complex, contiguous) in place along each of dims; the scale goes on the last.
void c2c_inplace(const Tensor& out, const DimVector& dims, bool forward, double scale) {
  if (out.numel() == 0) return;
  for (size_t i = 0; i < dims.size(); ++i)
    fft_c2c_stub(out.device())(out, dims[i], forward, i + 1 == dims.size() ? scale : 1.0);
}

}  // namespace

Tensor fft_c2c(const Tensor& x, const DimVector& dims_in, int64_t norm, bool forward) {
  PE_CHECK(is_complex(x.dtype()), "_fft_c2c expects a complex input tensor, but got ", dtype_name(x.dtype()));
  DimVector dims = checked_dims(x, dims_in, "_fft_c2c");
  int64_t n = 1;
  for (int64_t d : dims) n *= x.sizes()[d];
  Tensor out = contiguous_copy(x);
  c2c_inplace(out, dims, forward, scale_of(norm, n));
  return out;
}

Tensor fft_r2c(const Tensor& x, const DimVector& dims_in, int64_t norm, bool onesided) {
  PE_CHECK(x.dtype() == DType::Float32 || x.dtype() == DType::Float64,
           "_fft_r2c expects a floating point input tensor, but got ", dtype_name(x.dtype()));
  DimVector dims = checked_dims(x, dims_in, "_fft_r2c");
  PE_CHECK(!dims.empty(), "_fft_r2c must transform at least one axis");
  int64_t n = 1;
  for (int64_t d : dims) n *= x.sizes()[d];
  Tensor out = to(x, to_complex_dtype(x.dtype()), std::nullopt, /*copy=*/true);
  out = contiguous(out);
  c2c_inplace(out, dims, /*forward=*/true, scale_of(norm, n));
  if (!onesided) return out;
  const int64_t last = dims.back();
  return contiguous_copy(narrow(out, last, 0, out.sizes()[last] / 2 + 1));
}

Tensor fft_c2r(const Tensor& x, const DimVector& dims_in, int64_t norm, int64_t last_dim_size) {
  PE_CHECK(is_complex(x.dtype()), "_fft_c2r expects a complex input tensor, but got ", dtype_name(x.dtype()));
  DimVector dims = checked_dims(x, dims_in, "_fft_c2r");
  PE_CHECK(!dims.empty(), "_fft_c2r must transform at least one axis");
  PE_CHECK(last_dim_size >= 1, "Invalid number of data points (", last_dim_size, ") specified");
  const int64_t last = dims.back();
  PE_CHECK(x.sizes()[last] == last_dim_size / 2 + 1, "_fft_c2r: expected the last transformed dim to have ",
           last_dim_size / 2 + 1, " elements for an output of ", last_dim_size, ", got ", x.sizes()[last]);
  DimVector out_sizes = x.sizes();
  out_sizes[last] = last_dim_size;
  int64_t n = 1;
  for (int64_t d : dims) n *= out_sizes[d];
  Tensor tmp = contiguous_copy(x);
  DimVector rest(dims.begin(), dims.end() - 1);
  c2c_inplace(tmp, rest, /*forward=*/false, 1.0);
  Tensor out = make_empty(out_sizes, to_real_dtype(x.dtype()), x.device());
  if (out.numel() > 0) fft_c2r_stub(x.device())(out, tmp, last, scale_of(norm, n));
  return out;
}

}  // namespace pe

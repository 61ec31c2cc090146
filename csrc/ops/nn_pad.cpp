// F.pad: constant padding of the trailing dims (negative amounts crop) built from views and copy_,
// so it works for every dtype and layout without a kernel of its own; its backward is the same op
// with the amounts negated.
#include "ops/nn.h"
#include "ops/ops.h"

namespace pe {

Tensor constant_pad_nd(const Tensor& input, const DimVector& pad, const Scalar& value) {
  PE_CHECK(pad.size() % 2 == 0, "Length of pad must be even but instead it equals ", pad.size());
  const int64_t nd = input.dim(), np = (int64_t)pad.size() / 2;
  PE_CHECK(np <= nd, "Length of pad should be no more than twice the number of dimensions of the input. Pad length "
           "is ", pad.size(), " while the input has ", nd, " dimensions.");
  DimVector sizes = input.sizes();
  Tensor src = input;
  for (int64_t i = 0; i < np; ++i) {
    int64_t d = nd - 1 - i, lo = pad[2 * i], hi = pad[2 * i + 1];
    int64_t n = sizes[d] + lo + hi;
    PE_CHECK(n >= 0, "The input size ", sizes[d], ", plus negative padding ", lo, " and ", hi,
             " resulted in a negative output size, which is invalid. Check dimension ", d, " of your input.");
    // Crop the source where a pad is negative.
    int64_t start = std::max<int64_t>(-lo, 0), stop = sizes[d] - std::max<int64_t>(-hi, 0);
    src = narrow(src, d, std::min(start, sizes[d]), std::max<int64_t>(stop - start, 0));
    sizes[d] = n;
  }
  Tensor out = full(sizes, value, TensorOptions{input.dtype(), input.device()});
  Tensor dst = out;
  for (int64_t i = 0; i < np; ++i) {
    int64_t d = nd - 1 - i, lo = std::max<int64_t>(pad[2 * i], 0);
    dst = narrow(dst, d, std::min(lo, sizes[d]), src.size(d));
  }
  if (dst.numel() > 0) copy_(dst, src);
  return out;
}

Tensor pad(const Tensor& input, const DimVector& pad, const std::string& mode, std::optional<double> value) {
  PE_CHECK(pad.size() % 2 == 0, "Padding length must be divisible by 2");
  PE_CHECK((int64_t)pad.size() / 2 <= input.dim(), "Padding length should be less than or equal to two times the "
           "input dimension but got padding length ", pad.size(), " and input of dimension ", input.dim());
  if (mode == "constant") {
    Scalar v = value ? (is_floating(input.dtype()) || is_complex(input.dtype()) ? Scalar(*value)
                                                                                : Scalar((int64_t)*value))
                     : Scalar(int64_t(0));
    return constant_pad_nd(input, pad, v);
  }
  PE_CHECK(!value || *value == 0.0, "Padding mode \"", mode,
           "\" doesn't take in value argument.");
  if (mode == "reflect" || mode == "replicate" || mode == "circular")
    throw NotImplementedError(str("pad: mode '", mode, "' is not supported by pyengine yet (only 'constant')"));
  throw NotImplementedError(str("Unrecognised padding mode ", mode));
}

}  // namespace pe

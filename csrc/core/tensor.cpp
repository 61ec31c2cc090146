// Tensor construction helpers.
#include "tensor.h"

namespace pe {

Tensor make_empty(const DimVector& sizes, DType dtype, Device device) {
  checked_numel(sizes);
  // PyTorch's computeStorageNbytesContiguous: the sizes multiplied in order, each step checked, so
  // empty(2**62, 4, 0) overflows before the zero is reached while empty(0, 2**62, 4) does not.
  int64_t nbytes = element_size(dtype);
  for (int64_t s : sizes)
    PE_CHECK(!__builtin_mul_overflow(nbytes, s, &nbytes), "Storage size calculation overflowed with sizes=", sizes);
  auto storage = std::make_shared<StorageImpl>((size_t)nbytes, device);
  return Tensor(std::make_shared<TensorImpl>(std::move(storage), dtype, sizes, contiguous_strides(sizes), 0));
}

Tensor make_empty_strided(const DimVector& sizes, const DimVector& strides, DType dtype, Device device) {
  PE_CHECK(sizes.size() == strides.size(), "mismatch in length of strides and shape");
  int64_t n = checked_numel(sizes);
  int64_t extent = n == 0 ? 0 : 1;  // elements from the first to the last one reached, plus one
  for (size_t d = 0; d < sizes.size() && n > 0; ++d) {
    PE_CHECK(strides[d] >= 0, "as_strided: Negative strides are not supported at the moment, got strides: ", strides);
    extent += (sizes[d] - 1) * strides[d];
  }
  int64_t nbytes;
  PE_CHECK(!__builtin_mul_overflow(extent, element_size(dtype), &nbytes),
           "Storage size calculation overflowed with sizes=", sizes, " and strides=", strides);
  auto storage = std::make_shared<StorageImpl>((size_t)nbytes, device);
  return Tensor(std::make_shared<TensorImpl>(std::move(storage), dtype, sizes, strides, 0));
}

Tensor make_view(const Tensor& t, DimVector sizes, DimVector strides, int64_t storage_offset) {
  return Tensor(std::make_shared<TensorImpl>(t->storage(), t.dtype(), std::move(sizes), std::move(strides),
                                             storage_offset, t->version_counter()));
}

}  // namespace pe

// TensorImpl geometry bookkeeping.
#include "tensor_impl.h"

namespace pe {

TensorImpl::TensorImpl(Storage storage, DType dtype, DimVector sizes, DimVector strides,
                       int64_t storage_offset, std::shared_ptr<VersionCounter> version)
    : storage_(std::move(storage)),
      sizes_(std::move(sizes)),
      strides_(std::move(strides)),
      storage_offset_(storage_offset),
      itemsize_(element_size(dtype)),
      dtype_(dtype),
      version_(version ? std::move(version) : std::make_shared<VersionCounter>()) {
  refresh();
}

void TensorImpl::set_geometry(DimVector sizes, DimVector strides, int64_t storage_offset) {
  checked_numel(sizes);  // before anything changes: a rejected geometry leaves the tensor as it was
  sizes_ = std::move(sizes);
  strides_ = std::move(strides);
  storage_offset_ = storage_offset;
  refresh();
}

void TensorImpl::set_data_from(const TensorImpl& src) {
  storage_ = src.storage_;
  dtype_ = src.dtype_;
  itemsize_ = src.itemsize_;
  set_geometry(src.sizes_, src.strides_, src.storage_offset_);
}

void TensorImpl::refresh() {
  // Every tensor, however made (expand, view, as_strided, load), has an element count that fits
  // in int64: a wrapped product would make numel() lie about the extent the kernels walk.
  numel_ = checked_numel(sizes_);
  is_contiguous_ = is_contiguous_geometry(sizes_, strides_);
}

}  // namespace pe

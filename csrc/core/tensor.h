// Tensor: the handle every op takes and returns (a shared pointer to a TensorImpl). An undefined
// Tensor (no impl) stands for "None" where an optional tensor is allowed.
#pragma once
#include <memory>

#include "scalar.h"
#include "tensor_impl.h"

namespace pe {

class Tensor {
 public:
  Tensor() = default;
  explicit Tensor(std::shared_ptr<TensorImpl> impl) : impl_(std::move(impl)) {}

  bool defined() const { return impl_ != nullptr; }
  TensorImpl* impl() const { return impl_.get(); }
  const std::shared_ptr<TensorImpl>& impl_ptr() const { return impl_; }
  TensorImpl* operator->() const { return impl_.get(); }
  bool is_same(const Tensor& o) const { return impl_ == o.impl_; }

  const DimVector& sizes() const { return impl_->sizes(); }
  const DimVector& strides() const { return impl_->strides(); }
  int64_t size(int64_t d) const { return impl_->sizes()[checked_dim(d)]; }
  int64_t stride(int64_t d) const { return impl_->strides()[checked_dim(d)]; }
  int64_t dim() const { return impl_->dim(); }
  int64_t numel() const { return impl_->numel(); }
  DType dtype() const { return impl_->dtype(); }
  Device device() const { return impl_->device(); }
  bool is_contiguous() const { return impl_->is_contiguous(); }
  int64_t storage_offset() const { return impl_->storage_offset(); }
  void* raw_data() const { return impl_->data(); }
  template <class T>
  T* data_ptr() const {
    return static_cast<T*>(impl_->data());
  }

 private:
  int64_t checked_dim(int64_t d) const {
    PE_CHECK_INDEX(dim() > 0, "Dimension specified as ", d, " but tensor has no dimensions");
    return wrap_dim(d, dim());
  }
  std::shared_ptr<TensorImpl> impl_;
};

using TensorList = std::vector<Tensor>;

// A new contiguous tensor (uninitialized memory).
Tensor make_empty(const DimVector& sizes, DType dtype, Device device = Device());
// A new tensor with the given strides (uninitialized; storage for the elements the strides reach).
Tensor make_empty_strided(const DimVector& sizes, const DimVector& strides, DType dtype, Device device = Device());
// A new view of t's storage with the given geometry (shares the version counter).
Tensor make_view(const Tensor& t, DimVector sizes, DimVector strides, int64_t storage_offset);

}  // namespace pe

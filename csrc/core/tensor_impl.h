// TensorImpl: the strided view of a Storage. Geometry (sizes, strides, offset in elements), dtype,
// a version counter shared by all views of one base (Note [Version counter]) and autograd meta.
#pragma once
#include <atomic>
#include <memory>

#include "dtype.h"
#include "shape.h"
#include "storage.h"

namespace pe {

// Note [Version counter]
// Every in-place write bumps the counter; views share their base's counter, so autograd can tell
// that a saved tensor was modified through any alias. detach() shares it too (as PyTorch);
// `.data` gets a fresh one, which is what makes `.data` writes invisible to autograd.
struct VersionCounter {
  std::atomic<uint32_t> version{0};
  // Note [Inference tensors]: a tensor made while inference mode is on (in this thread) is an
  // inference tensor, and so are all its views, which share this counter; a view made in inference
  // mode of a normal tensor stays normal (PyTorch's rules). Fixed at creation.
  const bool inference = t_inference_mode;

  // Inference mode (`torch.inference_mode`), per thread as grad mode is; the autograd layer sets it.
  static inline thread_local bool t_inference_mode = false;
};

// Extended by the autograd layer (csrc/autograd); the core only owns it.
struct AutogradMetaBase {
  virtual ~AutogradMetaBase() = default;
};

class TensorImpl : public std::enable_shared_from_this<TensorImpl> {
 public:
  TensorImpl(Storage storage, DType dtype, DimVector sizes, DimVector strides, int64_t storage_offset,
             std::shared_ptr<VersionCounter> version = nullptr);

  const DimVector& sizes() const { return sizes_; }
  const DimVector& strides() const { return strides_; }
  int64_t dim() const { return (int64_t)sizes_.size(); }
  int64_t numel() const { return numel_; }
  int64_t storage_offset() const { return storage_offset_; }
  DType dtype() const { return dtype_; }
  int64_t itemsize() const { return itemsize_; }
  Device device() const { return storage_->device(); }
  const Storage& storage() const { return storage_; }
  bool is_contiguous() const { return is_contiguous_; }
  void* data() const { return static_cast<char*>(storage_->data()) + storage_offset_ * itemsize_; }

  // Re-seats this tensor's geometry (views in place: t_, squeeze_, resize_, as_strided_).
  void set_geometry(DimVector sizes, DimVector strides, int64_t storage_offset);
  void set_storage(Storage s) { storage_ = std::move(s); }
  // `.data = src` (PyTorch's set_data / shallow_copy_from): takes src's storage, dtype and geometry;
  // this tensor keeps its own version counter and autograd meta.
  void set_data_from(const TensorImpl& src);

  const std::shared_ptr<VersionCounter>& version_counter() const { return version_; }
  uint32_t version() const { return version_->version.load(std::memory_order_relaxed); }
  void bump_version() { version_->version.fetch_add(1, std::memory_order_relaxed); }
  bool is_inference() const { return version_->inference; }

  bool requires_grad() const { return requires_grad_; }
  void set_requires_grad(bool r) { requires_grad_ = r; }
  AutogradMetaBase* autograd_meta() const { return autograd_meta_.get(); }
  void set_autograd_meta(std::unique_ptr<AutogradMetaBase> m) { autograd_meta_ = std::move(m); }

 private:
  void refresh();

  Storage storage_;
  DimVector sizes_;
  DimVector strides_;
  int64_t storage_offset_;
  int64_t numel_ = 1;
  int64_t itemsize_;
  DType dtype_;
  bool is_contiguous_ = true;
  bool requires_grad_ = false;
  std::shared_ptr<VersionCounter> version_;
  std::unique_ptr<AutogradMetaBase> autograd_meta_;
};

}  // namespace pe

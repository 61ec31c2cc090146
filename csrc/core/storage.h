// Storage: a ref-counted, device-aware byte buffer that views share. Its buffer may come from our
// allocator (resizable) or from outside (a numpy array's memory: not resizable).
#pragma once
#include <memory>

#include "allocator.h"

namespace pe {

class StorageImpl {
 public:
  // A fresh buffer of nbytes from the device's allocator.
  StorageImpl(size_t nbytes, Device device);
  // Adopts memory owned elsewhere (e.g. by a numpy array: the DataPtr's deleter releases it).
  StorageImpl(DataPtr data, size_t nbytes);

  void* data() const { return data_.get(); }
  size_t nbytes() const { return nbytes_; }
  Device device() const { return data_.device(); }
  bool resizable() const { return resizable_; }
  // Grows the buffer in place (all views see the new memory); the old bytes are kept.
  void resize(size_t nbytes);

 private:
  DataPtr data_;
  size_t nbytes_;
  bool resizable_;
};

using Storage = std::shared_ptr<StorageImpl>;

// Bytes copy between any two devices (used by resize and the CUDA seam).
void copy_bytes(void* dst, Device dst_dev, const void* src, Device src_dev, size_t nbytes);
using CopyBytesFn = void (*)(void* dst, Device dst_dev, const void* src, Device src_dev, size_t nbytes);
void set_cuda_copy_bytes(CopyBytesFn fn);

}  // namespace pe

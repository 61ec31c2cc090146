// Storage allocation and growth.
#include "storage.h"

#include <cstring>

#include "error.h"

namespace pe {

namespace {
CopyBytesFn g_cuda_copy_bytes = nullptr;
}

void set_cuda_copy_bytes(CopyBytesFn fn) { g_cuda_copy_bytes = fn; }

void copy_bytes(void* dst, Device dst_dev, const void* src, Device src_dev, size_t nbytes) {
  if (nbytes == 0) return;
  // Meta storages hold no bytes: growing one copies nothing, and reading one is refused earlier, by
  // the meta copy kernel (ops/meta_kernels.cpp).
  if (dst_dev.is_meta() || src_dev.is_meta()) {
    PE_CHECK_T(::pe::NotImplementedError, dst_dev.is_meta(), "Cannot copy out of meta tensor; no data!");
    return;
  }
  if (dst_dev.is_cpu() && src_dev.is_cpu()) {
    std::memcpy(dst, src, nbytes);
    return;
  }
  PE_CHECK(g_cuda_copy_bytes, "Torch not compiled with CUDA enabled");
  g_cuda_copy_bytes(dst, dst_dev, src, src_dev, nbytes);
}

StorageImpl::StorageImpl(size_t nbytes, Device device)
    : data_(get_allocator(device.type)->allocate_on(nbytes, device.index)), nbytes_(nbytes), resizable_(true) {}

StorageImpl::StorageImpl(DataPtr data, size_t nbytes)
    : data_(std::move(data)), nbytes_(nbytes), resizable_(false) {}

void StorageImpl::resize(size_t nbytes) {
  if (nbytes == nbytes_) return;
  PE_CHECK(resizable_,
           "Trying to resize storage that is not resizable (it shares memory with a numpy array or "
           "another owner)");
  Device dev = data_.device();
  DataPtr fresh = get_allocator(dev.type)->allocate_on(nbytes, dev.index);
  copy_bytes(fresh.get(), dev, data_.get(), dev, std::min(nbytes, nbytes_));
  data_ = std::move(fresh);
  nbytes_ = nbytes;
}

}  // namespace pe

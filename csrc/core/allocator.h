// Memory: a DataPtr owns one buffer and knows how to give it back; an Allocator hands them out.
// Both devices use caching allocators (size-bucketed free lists): see Note [Caching allocator].
#pragma once
#include <cstddef>
#include <cstdint>
#include <utility>

#include "device.h"

namespace pe {

// Owns a buffer. The deleter gets (ctx, ptr); ctx is whatever the owner needs (a size, a PyObject*).
class DataPtr {
 public:
  using Deleter = void (*)(void* ctx, void* ptr);
  DataPtr() = default;
  DataPtr(void* ptr, void* ctx, Deleter del, Device dev) : ptr_(ptr), ctx_(ctx), del_(del), device_(dev) {}
  DataPtr(const DataPtr&) = delete;
  DataPtr& operator=(const DataPtr&) = delete;
  DataPtr(DataPtr&& o) noexcept { *this = std::move(o); }
  DataPtr& operator=(DataPtr&& o) noexcept {
    if (this != &o) {
      reset();
      ptr_ = o.ptr_;
      ctx_ = o.ctx_;
      del_ = o.del_;
      device_ = o.device_;
      o.ptr_ = nullptr;
      o.del_ = nullptr;
    }
    return *this;
  }
  ~DataPtr() { reset(); }
  void reset() {
    if (del_) del_(ctx_, ptr_);
    ptr_ = nullptr;
    del_ = nullptr;
  }
  void* get() const { return ptr_; }
  Device device() const { return device_; }

 private:
  void* ptr_ = nullptr;
  void* ctx_ = nullptr;
  Deleter del_ = nullptr;
  Device device_;
};

class Allocator {
 public:
  virtual ~Allocator() = default;
  // Throws pe::Error ("can't allocate memory ... N bytes") when the memory is not there.
  virtual DataPtr allocate(size_t nbytes) = 0;
  // On a given device of this type (-1: the current one); the CPU has one device.
  virtual DataPtr allocate_on(size_t nbytes, int device_index) { return allocate(nbytes); }
  virtual void empty_cache() {}
  virtual size_t memory_allocated() const { return 0; }  // bytes handed out and not yet returned
  virtual size_t memory_reserved() const { return 0; }   // allocated + held in the cache
};

// The allocator of a device type. The CUDA one is registered by the CUDA library at load time;
// asking for it without CUDA raises PyTorch's "not compiled with CUDA" error.
Allocator* get_allocator(DeviceType t);
void set_allocator(DeviceType t, Allocator* a);
Allocator* cpu_allocator();

}  // namespace pe

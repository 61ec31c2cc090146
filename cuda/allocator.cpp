// The CUDA caching allocator.
//
// Note [CUDA caching allocator]
// Sizes are rounded up to a class (512-byte granules up to 1 MiB, then 8 classes per power of two, at
// most 12.5% waste) and a freed block goes to its device's free list for that class. Reuse needs no
// event: every kernel and copy runs on the legacy default stream, so work that uses a reused block is
// ordered after all work that used it before. On a cudaMalloc failure the cache is emptied and the
// allocation retried once before "CUDA out of memory". A DataPtr's context packs the block's size
// class with its device index in the low bits (sizes are multiples of 512, so these bits are free).
#include "cuda/allocator.h"

#include <mutex>
#include <unordered_map>
#include <vector>

#include "cuda/cuda_check.h"
#include "cuda/device.h"

namespace pe::cuda {
namespace {

constexpr size_t kGranule = 512;
constexpr int kMaxDevices = 128;  // Device::index is an int8_t
static_assert(kMaxDevices <= (int)kGranule, "device index must fit in the size's low bits");

size_t round_size(size_t n) {
  if (n <= (size_t(1) << 20)) return n == 0 ? kGranule : (n + kGranule - 1) & ~(kGranule - 1);
  int msb = 63 - __builtin_clzll(n);
  size_t step = size_t(1) << (msb - 3);
  return (n + step - 1) & ~(step - 1);
}

struct DeviceCache {
  std::unordered_map<size_t, std::vector<void*>> free;
  size_t allocated = 0;
  size_t cached = 0;
};

// Leaked on purpose, like the allocator: tensors freed after static destructors ran still return here.
struct State {
  std::mutex mu;
  DeviceCache cache[kMaxDevices];
};
State& state() {
  static auto* s = new State();
  return *s;
}

DeviceCache& cache_of(int index) {
  PE_CHECK(index >= 0 && index < kMaxDevices, "CUDA error: invalid device ordinal ", index);
  return state().cache[index];
}

void release(void* ctx, void* ptr) {
  size_t packed = reinterpret_cast<size_t>(ctx);
  size_t size = packed & ~(kGranule - 1);
  int index = (int)(packed & (kGranule - 1));
  std::lock_guard<std::mutex> g(state().mu);
  DeviceCache& c = state().cache[index];
  c.allocated -= size;
  c.cached += size;
  c.free[size].push_back(ptr);
}

// Frees the cached blocks of one device; state().mu must be held.
void free_cached_locked(int index) {
  DeviceCache& c = state().cache[index];
  if (c.free.empty()) return;
  DeviceGuard guard(index);
  for (auto& kv : c.free)
    for (void* p : kv.second) (void)cudaFree(p);  // best effort: nothing useful to do on failure
  c.free.clear();
  c.cached = 0;
}

}  // namespace

DataPtr CudaCachingAllocator::allocate(size_t nbytes) { return allocate_on(nbytes, -1); }

DataPtr CudaCachingAllocator::allocate_on(size_t nbytes, int index) {
  PE_CHECK(device_count() > 0, "No CUDA GPUs are available");
  if (index < 0) index = current_device();
  PE_CHECK(index < device_count(), "CUDA error: invalid device ordinal ", index, " (", device_count(), " devices)");
  const size_t size = round_size(nbytes);
  DeviceCache& c = cache_of(index);
  void* ptr = nullptr;
  {
    std::lock_guard<std::mutex> g(state().mu);
    auto it = c.free.find(size);
    if (it != c.free.end() && !it->second.empty()) {
      ptr = it->second.back();
      it->second.pop_back();
      c.cached -= size;
      c.allocated += size;
    }
  }
  if (!ptr) {
    DeviceGuard guard(index);
    cudaError_t err = cudaMalloc(&ptr, size);
    if (err == cudaErrorMemoryAllocation) {
      (void)cudaGetLastError();  // not sticky, but would surface at the next launch check
      {
        std::lock_guard<std::mutex> g(state().mu);
        free_cached_locked(index);
      }
      err = cudaMalloc(&ptr, size);
    }
    if (err == cudaErrorMemoryAllocation) {
      (void)cudaGetLastError();
      size_t free_b = 0, total_b = 0;
      (void)cudaMemGetInfo(&free_b, &total_b);
      (void)cudaGetLastError();
      throw Error(str("CUDA out of memory. Tried to allocate ", nbytes, " bytes on cuda:", index,
                      ". GPU ", index, " has a total capacity of ", total_b, " bytes of which ", free_b,
                      " bytes are free; pyengine holds ", pe::cuda::memory_allocated(index),
                      " bytes in tensors and ", pe::cuda::memory_reserved(index), " bytes reserved in total."));
    }
    PE_CUDA_CHECK(err);
    std::lock_guard<std::mutex> g(state().mu);
    c.allocated += size;
  }
  return DataPtr(ptr, reinterpret_cast<void*>(size | (size_t)index), &release, Device(DeviceType::CUDA, index));
}

void CudaCachingAllocator::empty_cache() { pe::cuda::empty_cache(); }
size_t CudaCachingAllocator::memory_allocated() const { return pe::cuda::memory_allocated(-1); }
size_t CudaCachingAllocator::memory_reserved() const { return pe::cuda::memory_reserved(-1); }

CudaCachingAllocator* cuda_allocator() {
  static auto* a = new CudaCachingAllocator();
  return a;
}

void empty_cache() {
  std::lock_guard<std::mutex> g(state().mu);
  for (int i = 0; i < kMaxDevices; ++i) free_cached_locked(i);
}

size_t memory_allocated(int index) {
  if (index < 0) index = device_count() > 0 ? current_device() : 0;
  std::lock_guard<std::mutex> g(state().mu);
  return cache_of(index).allocated;
}

size_t memory_reserved(int index) {
  if (index < 0) index = device_count() > 0 ? current_device() : 0;
  std::lock_guard<std::mutex> g(state().mu);
  const DeviceCache& c = cache_of(index);
  return c.allocated + c.cached;
}

}  // namespace pe::cuda

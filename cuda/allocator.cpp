// The CUDA caching allocator.
//
// Note [CUDA caching allocator]
// Sizes are rounded up to a class (512-byte granules up to 1 MiB, then 8 classes per power of two, at
// most 12.5% waste). A block belongs to the stream that was current when it was allocated; freed, it
// goes to the free list of (its stream, its size class) and is handed out again only for that stream,
// where later work is ordered after all work that used it. A block that other streams used too
// (record_stream) is not reusable at once: at free time an event is recorded on each of those streams,
// and the block waits in `pending` until every event completed (queried at each allocation, waited for
// by empty_cache and before an out-of-memory retry), as PyTorch's allocator does. On a cudaMalloc
// failure the pending blocks are waited for, the cache is emptied and the allocation retried once
// before OutOfMemoryError. Statistics follow torch.cuda.memory_stats: block sizes (rounded) for
// allocated/active bytes, cudaMalloc sizes for reserved bytes, the size asked for as requested bytes,
// each for all blocks and the small (<= 1 MiB) and large pools, with current/peak/allocated/freed.
#include "cuda/allocator.h"

#include <algorithm>
#include <cstdio>
#include <mutex>
#include <unordered_map>
#include <utility>
#include <vector>

#include "cuda/counters.h"
#include "cuda/cuda_check.h"
#include "cuda/device.h"
#include "cuda/stream.h"

namespace pe::cuda {
namespace {

constexpr size_t kGranule = 512;
constexpr size_t kSmallSize = size_t(1) << 20;  // the small pool's limit, as PyTorch's
constexpr int kMaxDevices = 128;                 // Device::index is an int8_t

size_t round_size(size_t n) {
  if (n <= kSmallSize) return n == 0 ? kGranule : (n + kGranule - 1) & ~(kGranule - 1);
  int msb = 63 - __builtin_clzll(n);
  size_t step = size_t(1) << (msb - 3);
  return (n + step - 1) & ~(step - 1);
}

struct Block {
  void* ptr;
  size_t size;       // the size class: what cudaMalloc gave
  size_t requested;  // what the caller asked for (while allocated)
  int device;
  cudaStream_t stream;               // the stream it was allocated for
  std::vector<cudaStream_t> uses;    // other streams that used it (record_stream)
};

struct Stat {
  int64_t current = 0, peak = 0, allocated = 0, freed = 0;
  void add(int64_t n) {
    current += n;
    allocated += n;
    peak = std::max(peak, current);
  }
  void sub(int64_t n) {
    current -= n;
    freed += n;
  }
};
enum { kAll = 0, kSmall = 1, kLarge = 2, kPools = 3 };
struct StatGroup {  // per pool
  Stat s[kPools];
  void add(size_t block_size, int64_t n) {
    s[kAll].add(n);
    s[block_size <= kSmallSize ? kSmall : kLarge].add(n);
  }
  void sub(size_t block_size, int64_t n) {
    s[kAll].sub(n);
    s[block_size <= kSmallSize ? kSmall : kLarge].sub(n);
  }
};

struct Pending {
  Block* block;
  std::vector<cudaEvent_t> events;
};

struct DeviceCache {
  std::map<std::pair<cudaStream_t, size_t>, std::vector<Block*>> free;
  std::vector<Pending> pending;
  StatGroup allocated_bytes, reserved_bytes, active_bytes, requested_bytes;
  StatGroup allocation, segment, active;  // counts
  int64_t num_alloc_retries = 0, num_ooms = 0, num_device_alloc = 0, num_device_free = 0;
  int64_t num_sync_all_streams = 0;
};

// Leaked on purpose, like the allocator: tensors freed after static destructors ran still return here.
struct State {
  std::mutex mu;
  DeviceCache cache[kMaxDevices];
  std::unordered_map<const void*, Block*> live;  // allocated blocks by pointer
};
State& state() {
  static auto* s = new State();
  return *s;
}

DeviceCache& cache_of(int index) {
  PE_CHECK(index >= 0 && index < kMaxDevices, "CUDA error: invalid device ordinal ", index);
  return state().cache[index];
}

int resolve(int index) {
  if (index < 0) index = device_count() > 0 ? current_device() : 0;
  return index;
}

// Back to its stream's free list. mu must be held.
void make_free_locked(DeviceCache& c, Block* b) {
  c.active_bytes.sub(b->size, (int64_t)b->size);
  c.active.sub(b->size, 1);
  c.free[{b->stream, b->size}].push_back(b);
}

// Moves the pending blocks whose events completed (or all of them, waiting, when `wait`) to the free
// lists. mu must be held.
void process_pending_locked(DeviceCache& c, bool wait) {
  if (c.pending.empty()) return;
  std::vector<Pending> still;
  for (Pending& p : c.pending) {
    bool done = true;
    for (cudaEvent_t e : p.events) {
      if (wait) count_host_sync();  // Note [Runtime counters]
      cudaError_t err = wait ? cudaEventSynchronize(e) : cudaEventQuery(e);
      if (err == cudaErrorNotReady) {
        (void)cudaGetLastError();
        done = false;
        break;
      }
      // Any other error: the work is as done as it will get; surfaced by the next checked call.
    }
    if (!done) {
      still.push_back(std::move(p));
      continue;
    }
    for (cudaEvent_t e : p.events) (void)cudaEventDestroy(e);
    make_free_locked(c, p.block);
  }
  c.pending = std::move(still);
}

void release(void* ctx, void* ptr) {
  Block* b = static_cast<Block*>(ctx);
  State& st = state();
  std::lock_guard<std::mutex> g(st.mu);
  DeviceCache& c = st.cache[b->device];
  st.live.erase(ptr);
  c.allocated_bytes.sub(b->size, (int64_t)b->size);
  c.requested_bytes.sub(b->size, (int64_t)b->requested);
  c.allocation.sub(b->size, 1);
  if (b->uses.empty()) {
    make_free_locked(c, b);
    return;
  }
  // Destructors must not throw: if an event cannot be recorded, wait for that stream instead.
  Pending p{b, {}};
  int prev = -1;
  (void)cudaGetDevice(&prev);
  (void)cudaSetDevice(b->device);
  for (cudaStream_t s : b->uses) {
    cudaEvent_t e = nullptr;
    if (cudaEventCreateWithFlags(&e, cudaEventDisableTiming) == cudaSuccess && cudaEventRecord(e, s) == cudaSuccess) {
      p.events.push_back(e);
    } else {
      if (e) (void)cudaEventDestroy(e);
      (void)cudaGetLastError();
      count_host_sync();
      (void)cudaStreamSynchronize(s);
    }
  }
  if (prev >= 0) (void)cudaSetDevice(prev);
  b->uses.clear();
  c.pending.push_back(std::move(p));
}

// Frees the cached blocks of one device, after waiting for the pending ones; mu must be held.
void free_cached_locked(int index) {
  DeviceCache& c = state().cache[index];
  process_pending_locked(c, /*wait=*/true);
  if (c.free.empty()) return;
  DeviceGuard guard(index);
  for (auto& kv : c.free)
    for (Block* b : kv.second) {
      (void)cudaFree(b->ptr);  // best effort: nothing useful to do on failure
      c.reserved_bytes.sub(b->size, (int64_t)b->size);
      c.segment.sub(b->size, 1);
      ++c.num_device_free;
      delete b;
    }
  c.free.clear();
}

// PyTorch's format_size: "512 bytes", "1.50 KiB", "2.00 MiB", "3.25 GiB".
std::string format_size(uint64_t n) {
  char buf[64];
  if (n <= 1024)
    std::snprintf(buf, sizeof buf, "%llu bytes", (unsigned long long)n);
  else if (n <= 1048576)
    std::snprintf(buf, sizeof buf, "%.2f KiB", n / 1024.0);
  else if (n <= 1073741824ULL)
    std::snprintf(buf, sizeof buf, "%.2f MiB", n / 1048576.0);
  else
    std::snprintf(buf, sizeof buf, "%.2f GiB", n / 1073741824.0);
  return buf;
}

}  // namespace

DataPtr CudaCachingAllocator::allocate(size_t nbytes) { return allocate_on(nbytes, -1); }

DataPtr CudaCachingAllocator::allocate_on(size_t nbytes, int index) {
  PE_CHECK(device_count() > 0, "No CUDA GPUs are available");
  if (index < 0) index = current_device();
  PE_CHECK(index < device_count(), "CUDA error: invalid device ordinal ", index, " (", device_count(), " devices)");
  const size_t size = round_size(nbytes);
  const cudaStream_t stream = current_stream(index);
  State& st = state();
  std::unique_lock<std::mutex> g(st.mu);
  DeviceCache& c = cache_of(index);
  process_pending_locked(c, /*wait=*/false);
  Block* b = nullptr;
  auto it = c.free.find({stream, size});
  if (it != c.free.end() && !it->second.empty()) {
    b = it->second.back();
    it->second.pop_back();
    if (it->second.empty()) c.free.erase(it);
  } else {
    DeviceGuard guard(index);
    void* ptr = nullptr;
    cudaError_t err = cudaMalloc(&ptr, size);
    if (err == cudaErrorMemoryAllocation) {
      (void)cudaGetLastError();  // not sticky, but would surface at the next launch check
      ++c.num_alloc_retries;
      free_cached_locked(index);
      err = cudaMalloc(&ptr, size);
    }
    if (err == cudaErrorMemoryAllocation) {
      (void)cudaGetLastError();
      ++c.num_ooms;
      size_t free_b = 0, total_b = 0;
      (void)cudaMemGetInfo(&free_b, &total_b);
      (void)cudaGetLastError();
      const int64_t allocated = c.allocated_bytes.s[kAll].current, reserved = c.reserved_bytes.s[kAll].current;
      throw OutOfMemoryError(str("CUDA out of memory. Tried to allocate ", format_size(size), ". GPU ", index,
                                 " has a total capacity of ", format_size(total_b), " of which ", format_size(free_b),
                                 " is free. Of the allocated memory ", format_size(allocated),
                                 " is allocated by PyTorch, and ", format_size(reserved - allocated),
                                 " is reserved by PyTorch but unallocated."));
    }
    PE_CUDA_CHECK(err);
    b = new Block{ptr, size, 0, index, stream, {}};
    c.reserved_bytes.add(size, (int64_t)size);
    c.segment.add(size, 1);
    ++c.num_device_alloc;
  }
  b->requested = nbytes;
  c.allocated_bytes.add(size, (int64_t)size);
  c.requested_bytes.add(size, (int64_t)nbytes);
  c.allocation.add(size, 1);
  c.active_bytes.add(size, (int64_t)size);
  c.active.add(size, 1);
  st.live[b->ptr] = b;
  return DataPtr(b->ptr, b, &release, Device(DeviceType::CUDA, index));
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
  for (int i = 0; i < kMaxDevices && i < std::max(device_count(), 1); ++i) free_cached_locked(i);
}

size_t memory_allocated(int index) {
  index = resolve(index);
  std::lock_guard<std::mutex> g(state().mu);
  return (size_t)cache_of(index).allocated_bytes.s[kAll].current;
}

size_t memory_reserved(int index) {
  index = resolve(index);
  std::lock_guard<std::mutex> g(state().mu);
  return (size_t)cache_of(index).reserved_bytes.s[kAll].current;
}

void record_stream(const void* ptr, cudaStream_t stream) {
  State& st = state();
  std::lock_guard<std::mutex> g(st.mu);
  auto it = st.live.find(ptr);
  PE_CHECK(it != st.live.end(), "record_stream: the tensor's memory was not allocated by the CUDA caching allocator");
  Block* b = it->second;
  if (stream == b->stream) return;
  if (std::find(b->uses.begin(), b->uses.end(), stream) == b->uses.end()) b->uses.push_back(stream);
}

std::map<std::string, int64_t> memory_stats(int index) {
  index = resolve(index);
  std::lock_guard<std::mutex> g(state().mu);
  const DeviceCache& c = cache_of(index);
  std::map<std::string, int64_t> out;
  static const char* const kPoolNames[kPools] = {"all", "small_pool", "large_pool"};
  auto put = [&](const char* name, const StatGroup& sg) {
    for (int p = 0; p < kPools; ++p) {
      const std::string base = std::string(name) + "." + kPoolNames[p] + ".";
      out[base + "current"] = sg.s[p].current;
      out[base + "peak"] = sg.s[p].peak;
      out[base + "allocated"] = sg.s[p].allocated;
      out[base + "freed"] = sg.s[p].freed;
    }
  };
  put("allocated_bytes", c.allocated_bytes);
  put("reserved_bytes", c.reserved_bytes);
  put("active_bytes", c.active_bytes);
  put("requested_bytes", c.requested_bytes);
  put("allocation", c.allocation);
  put("segment", c.segment);
  put("active", c.active);
  out["num_alloc_retries"] = c.num_alloc_retries;
  out["num_ooms"] = c.num_ooms;
  out["num_device_alloc"] = c.num_device_alloc;
  out["num_device_free"] = c.num_device_free;
  out["num_sync_all_streams"] = c.num_sync_all_streams;
  out["max_split_size"] = -1;  // blocks are never split
  return out;
}

void reset_peak_stats(int index) {
  index = resolve(index);
  std::lock_guard<std::mutex> g(state().mu);
  DeviceCache& c = cache_of(index);
  for (StatGroup* sg : {&c.allocated_bytes, &c.reserved_bytes, &c.active_bytes, &c.requested_bytes, &c.allocation,
                        &c.segment, &c.active})
    for (Stat& s : sg->s) s.peak = s.current;
}

void reset_accumulated_stats(int index) {
  index = resolve(index);
  std::lock_guard<std::mutex> g(state().mu);
  DeviceCache& c = cache_of(index);
  for (StatGroup* sg : {&c.allocated_bytes, &c.reserved_bytes, &c.active_bytes, &c.requested_bytes, &c.allocation,
                        &c.segment, &c.active})
    for (Stat& s : sg->s) s.allocated = s.freed = 0;
  c.num_alloc_retries = c.num_ooms = c.num_device_alloc = c.num_device_free = c.num_sync_all_streams = 0;
}

}  // namespace pe::cuda

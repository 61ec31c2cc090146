// The CPU caching allocator.
//
// Note [Caching allocator]
// Writing into freshly mmapped pages runs at ~5 GB/s here against ~34 GB/s into reused memory, so
// an out-of-place op on a large tensor is page-fault bound unless freed blocks are kept. Blocks are
// rounded up to a size class (64-byte granules below 1 MiB, 1/8-power-of-two steps above) and freed
// blocks go to that class's free list, newest last, so `c = a + b` in a loop gets back the block it
// freed. Blocks of 2 MiB and more are 2 MiB aligned and advised for transparent huge pages.
//
// What is kept is bounded: after each free the cache may hold at most
//   min(limit, max(kCacheFloor, kLiveMultiple * allocated, the block just freed))
// bytes, and the blocks freed longest ago go back to the system first. So a working set that is
// freed and made again (a training step, an elementwise loop) stays cached, while memory freed for
// good (the live set shrank) is returned at once instead of staying in RSS up to the old 4 GiB cap.
// `limit` is PYENGINE_CPU_CACHE_LIMIT / pyengine.cpu.set_cache_limit (0 turns caching off);
// empty_cache() returns every cached block.
#include "allocator.h"
#include "cpu_allocator.h"

#include <sys/mman.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <deque>
#include <iterator>
#include <list>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "error.h"

namespace pe {
namespace {

constexpr size_t kHugePage = size_t(2) << 20;
// The cache may always hold this much, whatever the live set (the elementwise benchmark's 64 MiB
// output block, made from numpy inputs that are not ours, is cached even with nothing else live).
constexpr size_t kCacheFloor = size_t(128) << 20;
constexpr size_t kLiveMultiple = 2;

size_t round_size(size_t n) {
  if (n == 0) return 64;
  if (n <= (size_t(1) << 20)) return (n + 63) & ~size_t(63);
  // 8 classes per power of two: at most 12.5% waste.
  int msb = 63 - __builtin_clzll(n);
  size_t step = size_t(1) << (msb - 3);
  return (n + step - 1) & ~(step - 1);
}

class CpuCachingAllocator final : public Allocator {
 public:
  DataPtr allocate(size_t nbytes) override {
    size_t size = round_size(nbytes);
    void* p = nullptr;
    {
      std::lock_guard<std::mutex> g(mu_);
      auto it = free_.find(size);
      if (it != free_.end() && !it->second.empty()) {
        auto block = it->second.back();  // the newest block of the class: its pages are the warmest
        it->second.pop_back();
        p = block->ptr;
        lru_.erase(block);
        cached_ -= size;
      }
      if (p) allocated_ += size;
    }
    if (!p) {
      p = system_alloc(size);
      if (!p) {
        empty_cache();  // give the cache back and try once more
        p = system_alloc(size);
      }
      if (!p) {
        throw Error(str("DefaultCPUAllocator: can't allocate memory: you tried to allocate ", nbytes,
                        " bytes."));
      }
      std::lock_guard<std::mutex> g(mu_);
      allocated_ += size;
    }
    return DataPtr(p, reinterpret_cast<void*>(size), &CpuCachingAllocator::release, Device(DeviceType::CPU));
  }

  void empty_cache() override { trim(0); }
  size_t memory_allocated() const override {
    std::lock_guard<std::mutex> g(mu_);
    return allocated_;
  }
  size_t memory_reserved() const override {
    std::lock_guard<std::mutex> g(mu_);
    return allocated_ + cached_;
  }

  void set_limit(size_t limit) {
    {
      std::lock_guard<std::mutex> g(mu_);
      limit_ = limit;
    }
    trim(SIZE_MAX);
  }
  size_t limit() const {
    std::lock_guard<std::mutex> g(mu_);
    return limit_;
  }

  static CpuCachingAllocator& instance() {
    // Leaked on purpose: tensors freed during interpreter shutdown still return here.
    static auto* a = new CpuCachingAllocator();
    return *a;
  }

 private:
  struct Block {
    void* ptr;
    size_t size;
  };
  using Lru = std::list<Block>;  // every cached block, freed longest ago first

  static void* system_alloc(size_t size) {
    void* p = nullptr;
    size_t align = size >= kHugePage ? kHugePage : 64;
    if (posix_memalign(&p, align, size) != 0) return nullptr;
#ifdef MADV_HUGEPAGE
    if (size >= kHugePage) madvise(p, size, MADV_HUGEPAGE);
#endif
    return p;
  }

  size_t budget_locked() const {
    size_t live = allocated_ > SIZE_MAX / kLiveMultiple ? SIZE_MAX : allocated_ * kLiveMultiple;
    return std::min(limit_, std::max(kCacheFloor, live));
  }

  // Takes the oldest blocks out of the cache until it holds at most `budget` bytes (SIZE_MAX: the
  // current budget); they are freed after the lock is released (freeing a large block unmaps it).
  void trim(size_t budget) {
    std::vector<void*> drop;
    {
      std::lock_guard<std::mutex> g(mu_);
      evict_locked(budget == SIZE_MAX ? budget_locked() : budget, drop);
    }
    for (void* p : drop) std::free(p);
  }

  void evict_locked(size_t budget, std::vector<void*>& drop) {
    while (cached_ > budget && !lru_.empty()) {
      Block b = lru_.front();
      auto cls = free_.find(b.size);
      cls->second.pop_front();  // the oldest block overall is the oldest of its class
      if (cls->second.empty()) free_.erase(cls);
      lru_.pop_front();
      cached_ -= b.size;
      drop.push_back(b.ptr);
    }
  }

  static void release(void* ctx, void* p) {
    auto& self = instance();
    size_t size = reinterpret_cast<size_t>(ctx);
    std::vector<void*> drop;
    {
      std::lock_guard<std::mutex> g(self.mu_);
      self.allocated_ -= size;
      self.lru_.push_back(Block{p, size});
      self.free_[size].push_back(std::prev(self.lru_.end()));
      self.cached_ += size;
      // The block just freed stays (within the limit) even past the budget: a loop that frees and
      // remakes one big tensor whose inputs are not ours (numpy's) reuses it; older blocks go first.
      size_t budget = std::min(self.limit_, std::max(self.budget_locked(), size));
      if (self.cached_ > budget) self.evict_locked(budget, drop);
    }
    for (void* q : drop) std::free(q);
  }

  mutable std::mutex mu_;
  Lru lru_;
  std::unordered_map<size_t, std::deque<Lru::iterator>> free_;  // per size class, oldest first
  size_t allocated_ = 0;
  size_t cached_ = 0;
  size_t limit_ = kDefaultCpuCacheLimit;
};

Allocator* g_allocators[kNumDeviceTypes] = {};

}  // namespace

Allocator* cpu_allocator() { return &CpuCachingAllocator::instance(); }

namespace {
// The meta device's allocator hands out no memory: a meta storage records its size in bytes (so views,
// resize_ and set_ keep their bookkeeping) but its data pointer is null and nothing is ever
// counted as allocated. See Note [Meta device] in core/dispatch.h.
class MetaAllocator final : public Allocator {
 public:
  DataPtr allocate(size_t) override { return DataPtr(nullptr, nullptr, nullptr, Device(DeviceType::Meta)); }
};
}  // namespace

Allocator* get_allocator(DeviceType t) {
  if (t == DeviceType::CPU) return cpu_allocator();
  if (t == DeviceType::Meta) {
    static MetaAllocator meta;
    return &meta;
  }
  Allocator* a = g_allocators[(int)t];
  PE_CHECK(a != nullptr, "Torch not compiled with CUDA enabled (pyengine was built without its CUDA part)");
  return a;
}

void set_allocator(DeviceType t, Allocator* a) { g_allocators[(int)t] = a; }

void set_cpu_cache_limit(size_t bytes) { CpuCachingAllocator::instance().set_limit(bytes); }
size_t cpu_cache_limit() { return CpuCachingAllocator::instance().limit(); }

}  // namespace pe

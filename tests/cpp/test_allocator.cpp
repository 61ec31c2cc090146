// The CPU caching allocator's budget (Note [Caching allocator]): freed blocks are reused, but what is
// kept stays within min(limit, max(128 MiB, 2 x live, the block just freed)), and the accounting holds
// under threads.
#include <gtest/gtest.h>

#include <random>
#include <thread>
#include <vector>

#include "core/allocator.h"
#include "core/cpu_allocator.h"

using namespace pe;

namespace {
constexpr size_t kMiB = size_t(1) << 20;

size_t cached(Allocator* a) { return a->memory_reserved() - a->memory_allocated(); }

struct LimitGuard {  // restores the default limit and an empty cache, whatever the test did
  ~LimitGuard() {
    set_cpu_cache_limit(kDefaultCpuCacheLimit);
    cpu_allocator()->empty_cache();
  }
};
}  // namespace

TEST(CpuAllocator, ReusesTheBlockJustFreed) {
  LimitGuard guard;
  Allocator* a = cpu_allocator();
  a->empty_cache();
  void* p;
  {
    DataPtr d = a->allocate(64 * kMiB);
    p = d.get();
  }
  EXPECT_EQ(cached(a), 64 * kMiB);
  size_t reserved = a->memory_reserved();
  DataPtr again = a->allocate(64 * kMiB);
  EXPECT_EQ(again.get(), p);
  EXPECT_EQ(a->memory_reserved(), reserved);  // no new memory
  EXPECT_EQ(cached(a), 0u);
}

TEST(CpuAllocator, MemoryFreedForGoodIsReturned) {
  LimitGuard guard;
  Allocator* a = cpu_allocator();
  a->empty_cache();
  size_t live_before = a->memory_allocated();
  {
    std::vector<DataPtr> blocks;
    for (size_t mib = 10; mib <= 200; mib += 10) blocks.push_back(a->allocate(mib * kMiB));  // 2.1 GB, untouched
  }
  EXPECT_EQ(a->memory_allocated(), live_before);
  // Nothing else is live: the cache keeps the block freed last (200 MiB) and nothing older, not the
  // 2.1 GB just freed.
  EXPECT_LE(cached(a), 208 * kMiB + 2 * live_before);  // 200 MiB rounded up to its size class
  EXPECT_GE(cached(a), 200 * kMiB);
}

TEST(CpuAllocator, CacheFollowsTheLiveSet) {
  LimitGuard guard;
  Allocator* a = cpu_allocator();
  a->empty_cache();
  size_t live_before = a->memory_allocated();
  std::vector<DataPtr> live;
  for (int i = 0; i < 4; ++i) live.push_back(a->allocate(100 * kMiB));
  {
    DataPtr tmp1 = a->allocate(128 * kMiB);
    DataPtr tmp2 = a->allocate(128 * kMiB);
  }
  EXPECT_EQ(cached(a), 256 * kMiB);  // within 2 x 400 MiB live: a training step's activations stay cached
  live.clear();
  EXPECT_LE(cached(a), 128 * kMiB + 2 * live_before);  // the live set is gone: so is the cache, past the floor
}

TEST(CpuAllocator, LimitBoundsTheCacheAndZeroTurnsItOff) {
  LimitGuard guard;
  Allocator* a = cpu_allocator();
  a->empty_cache();
  set_cpu_cache_limit(0);
  EXPECT_EQ(cpu_cache_limit(), 0u);
  { DataPtr d = a->allocate(1000); }
  EXPECT_EQ(cached(a), 0u);
  set_cpu_cache_limit(4 * kMiB);
  {
    DataPtr d1 = a->allocate(3 * kMiB), d2 = a->allocate(3 * kMiB);
  }
  EXPECT_LE(cached(a), 4 * kMiB);
  EXPECT_GT(cached(a), 0u);
  set_cpu_cache_limit(0);  // lowering the limit frees the excess at once
  EXPECT_EQ(cached(a), 0u);
}

TEST(CpuAllocator, ThreadsKeepTheAccounting) {
  LimitGuard guard;
  Allocator* a = cpu_allocator();
  a->empty_cache();
  set_cpu_cache_limit(8 * kMiB);  // small: evictions race with allocations
  size_t live_before = a->memory_allocated();
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([a, t] {
      std::mt19937 rng(t);
      std::vector<DataPtr> held;
      for (int i = 0; i < 2000; ++i) {
        size_t n = size_t(1) << (6 + rng() % 16);  // 64 B .. 2 MiB
        DataPtr d = a->allocate(n);
        static_cast<char*>(d.get())[n - 1] = 1;  // the block is really n bytes
        held.push_back(std::move(d));
        if (held.size() > 4) held.erase(held.begin() + rng() % held.size());
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(a->memory_allocated(), live_before);
  EXPECT_LE(cached(a), 8 * kMiB);
}

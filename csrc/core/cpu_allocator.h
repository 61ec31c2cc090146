// The CPU caching allocator's bound (Note [Caching allocator] in allocator.cpp); the allocator itself
// is cpu_allocator() in allocator.h.
#pragma once
#include <cstddef>

namespace pe {

// The most bytes of freed blocks the CPU allocator keeps cached; 0 turns caching off. Lowering it
// returns the excess at once. pyengine/cpu.py sets it from PYENGINE_CPU_CACHE_LIMIT at import.
constexpr size_t kDefaultCpuCacheLimit = size_t(4) << 30;
void set_cpu_cache_limit(size_t bytes);
size_t cpu_cache_limit();

}  // namespace pe

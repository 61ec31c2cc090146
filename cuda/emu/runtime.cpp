// The emulated CUDA runtime: devices with an H100's properties, device memory on the host with guard
// zones, copies, memsets, streams and events (docs/cuda-emulator.md). Work runs when it is issued,
// so streams are in order and a synchronize only has to check memory.
//
// Note [Emulator memcheck]
// Each cudaMalloc block sits between two guard zones filled with a known byte; the payload is filled
// with 0xCB so that reading memory nobody wrote gives garbage here too. Out-of-bounds writes are found
// when a guard zone no longer holds its byte: after every kernel (for the allocations its pointer
// arguments point into), on cudaFree, and at every synchronizing call (for all live blocks). Pointer
// arguments of a launch and both ends of a copy must lie inside live device memory of the right
// device. Errors are not sticky, unlike a real context's: one bad kernel must not fail the rest of a
// test run. The guard is restored once reported, so each overrun is reported once.
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "internal.h"

thread_local uint3 threadIdx PE_EMU_BUILTIN_TLS;
thread_local uint3 blockIdx PE_EMU_BUILTIN_TLS;
thread_local dim3 blockDim PE_EMU_BUILTIN_TLS;
thread_local dim3 gridDim PE_EMU_BUILTIN_TLS;

// Note [Emulator streams]
// Work runs when it is issued, on the issuing host thread, so the results of every stream are in
// order. What a stream models is *time*: `ready` is when its last work would have finished. A piece of
// work starts at max(now, its stream's ready, the legacy default stream's ready for a blocking stream,
// every blocking stream's ready for the legacy one) and lasts as long as the host took to run it, or as
// pe::emu::delay_stream says (the emulator's torch.cuda._sleep). An event completes at the ready time
// of its stream when recorded; a query before that is cudaErrorNotReady and a synchronize sleeps until
// then, so the caching allocator's stream safety (record_stream) and elapsed times behave as on a GPU.
using EmuClock = std::chrono::steady_clock;
struct PeEmuStream {
  int device;
  unsigned flags;
  int priority;
  EmuClock::time_point ready;
};
struct PeEmuEvent {
  int device;
  unsigned flags;
  bool recorded;
  EmuClock::time_point time;
};

namespace pe::emu {
namespace {

constexpr size_t kGuard = 256;  // bytes on each side at least; cudaMalloc's alignment is 256 too
const size_t kPageSize = (size_t)sysconf(_SC_PAGESIZE);
constexpr size_t kFillLimit = size_t(1) << 20;  // larger fresh blocks stay untouched (zero) pages
constexpr unsigned char kGuardByte = 0xFD;
constexpr unsigned char kFreshByte = 0xCB;
constexpr int kMaxDevices = 16;

thread_local cudaError_t last_error = cudaSuccess;
thread_local int current = 0;

struct ErrorMessages {
  std::mutex mu;
  std::map<int, std::string> by_code;
};
ErrorMessages& messages() {
  static auto* m = new ErrorMessages();  // leaked: errors may be formatted during shutdown
  return *m;
}

int device_count_from_env() {
  const char* s = std::getenv("PYENGINE_CUDA_EMULATED_DEVICES");
  if (!s || !*s) return 2;
  return std::clamp(std::atoi(s), 0, kMaxDevices);
}
int num_devices() {
  static const int n = device_count_from_env();
  return n;
}

// PYENGINE_CUDA_EMULATED_MEMORY: bytes per device, with an optional K/M/G/T suffix (powers of 1024,
// "GiB" and "GB" alike); an H100's 80 GiB by default. Only what is allocated takes host memory.
size_t device_memory_from_env() {
  const size_t dflt = size_t(80) << 30;
  const char* s = std::getenv("PYENGINE_CUDA_EMULATED_MEMORY");
  if (!s || !*s) return dflt;
  char* end = nullptr;
  const double v = std::strtod(s, &end);
  if (end == s || v <= 0) return dflt;
  double scale = 1;
  switch (*end) {
    case 'k': case 'K': scale = 1024.0; break;
    case 'm': case 'M': scale = 1024.0 * 1024; break;
    case 'g': case 'G': scale = 1024.0 * 1024 * 1024; break;
    case 't': case 'T': scale = 1024.0 * 1024 * 1024 * 1024; break;
    default: break;
  }
  return (size_t)(v * scale);
}
size_t device_memory() {
  static const size_t n = device_memory_from_env();
  return n;
}

// A mapping: [guard page][front byte guard][payload][back byte guard < 256 bytes][guard page]
// (Note [Emulator guard pages]); pinned host memory has no guard pages, only the byte guards.
struct Block {
  size_t size;  // as asked
  int device;   // -1: pinned host memory (cudaMallocHost)
  unsigned char* raw;  // the mapping
  size_t raw_size;
  bool guard_pages;
  unsigned char* begin() const { return raw + kPageSize; }             // after the front guard page
  unsigned char* end() const { return raw + raw_size - kPageSize; }    // where the back guard page starts
};
struct Memory {
  std::mutex mu;
  std::map<uintptr_t, Block> blocks;  // by payload address
  size_t used[kMaxDevices] = {};
};
Memory& memory() {
  static auto* m = new Memory();
  return *m;
}

// The block holding [p, p + n) (n = 0: p may be one past the end), or nullptr. mu must be held.
const std::pair<const uintptr_t, Block>* find_locked(const void* p, size_t n) {
  Memory& m = memory();
  const uintptr_t a = reinterpret_cast<uintptr_t>(p);
  auto it = m.blocks.upper_bound(a);
  if (it == m.blocks.begin()) return nullptr;
  --it;
  if (a + n > it->first + it->second.size) return nullptr;
  return &*it;
}

// The first damaged guard byte of a block as a message, or "" (and repairs it). mu must be held.
std::string check_guard_locked(uintptr_t base, const Block& b) {
  unsigned char* const payload = reinterpret_cast<unsigned char*>(base);
  const size_t front_len = (size_t)(payload - b.begin());
  unsigned char* const back = payload + b.size;
  const size_t back_len = (size_t)(b.end() - back);
  std::string msg;
  for (size_t i = 0; i < front_len && msg.empty(); ++i)
    if (b.begin()[i] != kGuardByte)
      msg = "an out-of-bounds write " + std::to_string(front_len - i) + " bytes before";
  for (size_t i = 0; i < back_len && msg.empty(); ++i)
    if (back[i] != kGuardByte) msg = "an out-of-bounds write " + std::to_string(i) + " bytes past the end of";
  if (msg.empty()) return msg;
  std::memset(b.begin(), kGuardByte, front_len);
  std::memset(back, kGuardByte, back_len);
  char addr[32];
  std::snprintf(addr, sizeof addr, "%#llx", (unsigned long long)base);
  return "CUDA emulator memcheck: " + msg + " the " + std::to_string(b.size) + "-byte allocation at " + addr +
         (b.device >= 0 ? " on cuda:" + std::to_string(b.device) : std::string(" (pinned host)")) +
         " (its guard zone was overwritten)";
}

cudaError_t check_all_guards(int device) {
  std::string msg;
  {
    Memory& m = memory();
    std::lock_guard<std::mutex> g(m.mu);
    for (auto& kv : m.blocks)
      if (device < 0 || kv.second.device == device)
        if (msg.empty()) msg = check_guard_locked(kv.first, kv.second);
  }
  return msg.empty() ? cudaSuccess : fail(cudaErrorIllegalAddress, msg);
}

cudaError_t allocate(void** ptr, size_t size, int device) {
  if (!ptr) return fail(cudaErrorInvalidValue, "invalid argument (a null pointer to store the allocation in)");
  *ptr = nullptr;
  Memory& m = memory();
  {
    std::lock_guard<std::mutex> g(m.mu);
    if (device >= 0 && m.used[device] + size > device_memory())
      return fail(cudaErrorMemoryAllocation, "out of memory (the emulated device has " +
                                                 std::to_string(device_memory()) + " bytes)");
    if (device >= 0) m.used[device] += size;  // reserved now, so that two threads cannot both pass
  }
  const size_t span = (size + kGuard - 1) / kGuard * kGuard;  // payload and back byte guard
  const size_t inner = (span + kGuard + kPageSize - 1) / kPageSize * kPageSize;
  const size_t raw_size = inner + 2 * kPageSize;
  // Anonymous pages: host memory is used only as the payload is touched (a large fresh block is zeros).
  void* map = mmap(nullptr, raw_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (map == MAP_FAILED) {
    std::lock_guard<std::mutex> g(m.mu);
    if (device >= 0) m.used[device] -= size;
    return fail(cudaErrorMemoryAllocation, "out of memory (host memory behind the emulated device)");
  }
  Block b{size, device, static_cast<unsigned char*>(map), raw_size, false};
  unsigned char* payload = b.end() - span;
  std::memset(b.begin(), kGuardByte, (size_t)(payload - b.begin()));
  if (size <= kFillLimit) std::memset(payload, kFreshByte, size);
  std::memset(payload + size, kGuardByte, span - size);
  if (device >= 0 && add_guard_page(b.raw)) {
    if (add_guard_page(b.end())) {
      b.guard_pages = true;
      mprotect(b.raw, kPageSize, PROT_NONE);
      mprotect(b.end(), kPageSize, PROT_NONE);
    } else {
      remove_guard_page(b.raw);
    }
  }
  *ptr = payload;
  std::lock_guard<std::mutex> g(m.mu);
  m.blocks[reinterpret_cast<uintptr_t>(payload)] = b;
  return cudaSuccess;
}

void unmap(const Block& b) {
  if (b.guard_pages) {
    remove_guard_page(b.raw);
    remove_guard_page(b.end());
  }
  munmap(b.raw, b.raw_size);
}

cudaError_t release(void* ptr, bool host) {
  if (!ptr) return cudaSuccess;
  Memory& m = memory();
  std::string msg;
  {
    std::lock_guard<std::mutex> g(m.mu);
    auto it = m.blocks.find(reinterpret_cast<uintptr_t>(ptr));
    if (it == m.blocks.end() || (it->second.device < 0) != host)
      msg = host ? "cudaFreeHost of a pointer that cudaMallocHost did not return"
                 : "cudaFree of a pointer that cudaMalloc did not return (or freed twice)";
    if (msg.empty()) {
      msg = check_guard_locked(it->first, it->second);
      if (it->second.device >= 0) m.used[it->second.device] -= it->second.size;
      unmap(it->second);
      m.blocks.erase(it);
      if (!msg.empty()) return fail(cudaErrorIllegalAddress, msg);
      return cudaSuccess;
    }
  }
  return fail(cudaErrorInvalidDevicePointer, "CUDA emulator: " + msg);
}

bool valid_device(int d) { return d >= 0 && d < num_devices(); }

// Where [p, p + n) lives: a device index, -1 for host memory (pinned or not), or -2 when it starts
// in device memory and runs past the end of its allocation.
int locate(const void* p, size_t n) {
  Memory& m = memory();
  std::lock_guard<std::mutex> g(m.mu);
  if (const auto* b = find_locked(p, n)) return b->second.device;
  if (const auto* b = find_locked(p, 0)) return b->second.device >= 0 ? -2 : -1;
  return -1;
}

std::string describe(int where) { return where >= 0 ? "cuda:" + std::to_string(where) : "host memory"; }

cudaError_t copy(void* dst, const void* src, size_t count, cudaMemcpyKind kind) {
  if (count == 0) return cudaSuccess;
  const int d = locate(dst, count), s = locate(src, count);
  if (d == -2 || s == -2)
    return fail(cudaErrorInvalidValue, "CUDA emulator memcheck: a " + std::to_string(count) +
                                           "-byte copy runs past the end of its " +
                                           (d == -2 ? "destination" : "source") + " allocation");
  const bool want_dst_dev = kind == cudaMemcpyHostToDevice || kind == cudaMemcpyDeviceToDevice;
  const bool want_src_dev = kind == cudaMemcpyDeviceToHost || kind == cudaMemcpyDeviceToDevice;
  if (kind != cudaMemcpyDefault && ((d >= 0) != want_dst_dev || (s >= 0) != want_src_dev))
    return fail(cudaErrorInvalidValue, "CUDA emulator: cudaMemcpy kind " + std::to_string((int)kind) +
                                           " does not match its pointers (destination in " + describe(d) +
                                           ", source in " + describe(s) + ")");
  if (kind > cudaMemcpyDefault) return fail(cudaErrorInvalidMemcpyDirection, "invalid copy direction");
  std::memmove(dst, src, count);
  return cudaSuccess;
}


// ---- streams (Note [Emulator streams]) ----
struct Streams {
  std::mutex mu;
  PeEmuStream legacy[kMaxDevices];
  std::vector<PeEmuStream*> created;  // never freed before exit: a destroyed handle stays harmless
};
Streams& streams() {
  static auto* s = [] {
    auto* x = new Streams();
    for (int d = 0; d < kMaxDevices; ++d) x->legacy[d] = PeEmuStream{d, 0, 0, EmuClock::now()};
    return x;
  }();
  return *s;
}
PeEmuStream* resolve(cudaStream_t s) { return s ? s : &streams().legacy[current]; }

// When work issued now on s may start. streams().mu must be held.
EmuClock::time_point start_time_locked(PeEmuStream* s) {
  Streams& st = streams();
  EmuClock::time_point t = std::max(EmuClock::now(), s->ready);
  PeEmuStream& legacy = st.legacy[s->device];
  if (s == &legacy) {
    for (PeEmuStream* o : st.created)
      if (o->device == s->device && !(o->flags & cudaStreamNonBlocking)) t = std::max(t, o->ready);
  } else if (!(s->flags & cudaStreamNonBlocking)) {
    t = std::max(t, legacy.ready);
  }
  return t;
}

EmuClock::time_point device_ready(int device) {
  Streams& st = streams();
  std::lock_guard<std::mutex> g(st.mu);
  EmuClock::time_point t = st.legacy[device].ready;
  for (PeEmuStream* o : st.created)
    if (o->device == device) t = std::max(t, o->ready);
  return t;
}

void sleep_until(EmuClock::time_point t) {
  if (t > EmuClock::now()) std::this_thread::sleep_until(t);
}

}  // namespace

void note_work(cudaStream_t stream, std::chrono::nanoseconds took) {
  Streams& st = streams();
  std::lock_guard<std::mutex> g(st.mu);
  PeEmuStream* s = resolve(stream);
  // The work already ran (it ended now): it could not have ended earlier than now.
  s->ready = std::max(start_time_locked(s) + took, EmuClock::now());
}

cudaError_t delay_stream(cudaStream_t stream, uint64_t ns) {
  note_work(stream, std::chrono::nanoseconds(ns));
  return cudaSuccess;
}

cudaError_t fail(cudaError_t code, const std::string& message) {
  if (last_error == cudaSuccess) last_error = code;
  ErrorMessages& m = messages();
  std::lock_guard<std::mutex> g(m.mu);
  m.by_code[(int)code] = message;
  return code;
}

int current_device_index() { return current; }

int stream_device(cudaStream_t stream) { return resolve(stream)->device; }

cudaError_t check_kernel_pointers(const void* const* pointers, int n, int device) {
  for (int i = 0; i < n; ++i) {
    if (!pointers[i]) continue;
    const int where = locate(pointers[i], 0);
    if (where != device)
      return fail(cudaErrorIllegalAddress,
                  "CUDA emulator memcheck: pointer argument " + std::to_string(i) + " of a kernel on cuda:" +
                      std::to_string(device) + " points to " + (where == -1 ? "host memory" : describe(where)) +
                      " (not to a live allocation of that device)");
  }
  return cudaSuccess;
}

cudaError_t check_guards_of(const void* const* pointers, int n) {
  std::string msg;
  {
    Memory& m = memory();
    std::lock_guard<std::mutex> g(m.mu);
    for (int i = 0; i < n && msg.empty(); ++i)
      if (const auto* b = pointers[i] ? find_locked(pointers[i], 0) : nullptr)
        msg = check_guard_locked(b->first, b->second);
  }
  return msg.empty() ? cudaSuccess : fail(cudaErrorIllegalAddress, msg);
}

cudaError_t report_fault(uintptr_t addr) {
  std::string where = "outside every allocation";
  {
    Memory& m = memory();
    std::lock_guard<std::mutex> g(m.mu);
    auto it = m.blocks.upper_bound(addr);
    for (int k = 0; k < 2; ++k) {  // the block after addr (front guard) or before it (back guard)
      if (k == 1) {
        if (it == m.blocks.begin()) break;
        --it;
      } else if (it == m.blocks.end()) {
        continue;
      }
      const Block& b = it->second;
      const uintptr_t lo = reinterpret_cast<uintptr_t>(b.raw), hi = lo + b.raw_size;
      if (addr < lo || addr >= hi) continue;
      char base[32];
      std::snprintf(base, sizeof base, "%#llx", (unsigned long long)it->first);
      where = addr >= it->first ? std::to_string(addr - it->first - b.size) + " bytes past the end of"
                                : std::to_string(it->first - addr) + " bytes before";
      where += " the " + std::to_string(b.size) + "-byte allocation at " + base + " on cuda:" + std::to_string(b.device);
      break;
    }
  }
  char a[32];
  std::snprintf(a, sizeof a, "%#llx", (unsigned long long)addr);
  return fail(cudaErrorIllegalAddress, std::string("CUDA emulator memcheck: an out-of-bounds access (read or write) at ") +
                                           a + ", " + where + " (an illegal memory access was encountered)");
}

}  // namespace pe::emu

using namespace pe::emu;

const char* cudaGetErrorName(cudaError_t error) {
  switch (error) {
    case cudaSuccess: return "cudaSuccess";
    case cudaErrorInvalidValue: return "cudaErrorInvalidValue";
    case cudaErrorMemoryAllocation: return "cudaErrorMemoryAllocation";
    case cudaErrorInvalidConfiguration: return "cudaErrorInvalidConfiguration";
    case cudaErrorInvalidDevicePointer: return "cudaErrorInvalidDevicePointer";
    case cudaErrorNoDevice: return "cudaErrorNoDevice";
    case cudaErrorInvalidDevice: return "cudaErrorInvalidDevice";
    case cudaErrorIllegalAddress: return "cudaErrorIllegalAddress";
    case cudaErrorLaunchFailure: return "cudaErrorLaunchFailure";
    case cudaErrorInitializationError: return "cudaErrorInitializationError";
    case cudaErrorInvalidMemcpyDirection: return "cudaErrorInvalidMemcpyDirection";
    case cudaErrorInvalidResourceHandle: return "cudaErrorInvalidResourceHandle";
    case cudaErrorNotReady: return "cudaErrorNotReady";
    case cudaErrorLaunchOutOfResources: return "cudaErrorLaunchOutOfResources";
    case cudaErrorAssert: return "cudaErrorAssert";
    default: return "cudaErrorUnknown";
  }
}

const char* cudaGetErrorString(cudaError_t error) {
  if (error == cudaSuccess) return "no error";
  if (error == cudaErrorNotReady) return "device not ready";
  ErrorMessages& m = messages();
  std::lock_guard<std::mutex> g(m.mu);
  auto it = m.by_code.find((int)error);
  // The string lives in the map until the next error of the same code replaces it.
  return it != m.by_code.end() ? it->second.c_str() : cudaGetErrorName(error);
}

cudaError_t cudaGetLastError() {
  cudaError_t e = last_error;
  last_error = cudaSuccess;
  return e;
}
cudaError_t cudaPeekAtLastError() { return last_error; }

cudaError_t cudaGetDeviceCount(int* count) {
  *count = num_devices();
  return num_devices() > 0 ? cudaSuccess : fail(cudaErrorNoDevice, "no CUDA-capable device is detected");
}

cudaError_t cudaSetDevice(int device) {
  if (!valid_device(device)) return fail(cudaErrorInvalidDevice, "invalid device ordinal");
  current = device;
  return cudaSuccess;
}

cudaError_t cudaGetDevice(int* device) {
  if (num_devices() == 0) return fail(cudaErrorNoDevice, "no CUDA-capable device is detected");
  *device = current;
  return cudaSuccess;
}

cudaError_t cudaGetDeviceProperties(cudaDeviceProp* p, int device) {
  if (!valid_device(device)) return fail(cudaErrorInvalidDevice, "invalid device ordinal");
  std::memset(p, 0, sizeof *p);
  std::snprintf(p->name, sizeof p->name, "pyengine emulated CUDA device (H100 model)");
  p->totalGlobalMem = device_memory();
  p->sharedMemPerBlock = kMaxStaticSmem;
  p->sharedMemPerBlockOptin = kMaxSmemPerBlockOptin;
  p->sharedMemPerMultiprocessor = 228 * 1024;
  p->regsPerBlock = 65536;
  p->warpSize = 32;
  p->maxThreadsPerBlock = 1024;
  p->maxThreadsDim[0] = p->maxThreadsDim[1] = 1024;
  p->maxThreadsDim[2] = 64;
  p->maxGridSize[0] = 2147483647;
  p->maxGridSize[1] = p->maxGridSize[2] = 65535;
  p->maxThreadsPerMultiProcessor = 2048;
  p->multiProcessorCount = 132;
  p->major = 9;
  p->minor = 0;
  p->l2CacheSize = 50 * 1024 * 1024;
  p->memoryBusWidth = 5120;
  p->totalConstMem = 64 * 1024;
  return cudaSuccess;
}

cudaError_t cudaDeviceGetAttribute(int* value, cudaDeviceAttr attr, int device) {
  cudaDeviceProp p;
  if (cudaError_t e = cudaGetDeviceProperties(&p, device)) return e;
  switch (attr) {
    case cudaDevAttrMaxThreadsPerBlock: *value = p.maxThreadsPerBlock; break;
    case cudaDevAttrMaxSharedMemoryPerBlock: *value = (int)p.sharedMemPerBlock; break;
    case cudaDevAttrWarpSize: *value = p.warpSize; break;
    case cudaDevAttrMultiProcessorCount: *value = p.multiProcessorCount; break;
    case cudaDevAttrComputeCapabilityMajor: *value = p.major; break;
    case cudaDevAttrComputeCapabilityMinor: *value = p.minor; break;
    case cudaDevAttrMaxSharedMemoryPerMultiprocessor: *value = (int)p.sharedMemPerMultiprocessor; break;
    case cudaDevAttrMaxSharedMemoryPerBlockOptin: *value = (int)p.sharedMemPerBlockOptin; break;
    default: return fail(cudaErrorInvalidValue, "CUDA emulator: device attribute not modelled");
  }
  return cudaSuccess;
}

cudaError_t cudaDeviceSynchronize() {
  sleep_until(device_ready(current));
  return check_all_guards(current);
}

cudaError_t cudaMemGetInfo(size_t* free, size_t* total) {
  Memory& m = memory();
  std::lock_guard<std::mutex> g(m.mu);
  *total = device_memory();
  *free = device_memory() - m.used[current];
  return cudaSuccess;
}

cudaError_t cudaMalloc(void** ptr, size_t size) {
  if (num_devices() == 0) return fail(cudaErrorNoDevice, "no CUDA-capable device is detected");
  return allocate(ptr, size, current);
}
cudaError_t cudaFree(void* ptr) { return release(ptr, false); }
cudaError_t cudaMallocHost(void** ptr, size_t size) { return allocate(ptr, size, -1); }
cudaError_t cudaFreeHost(void* ptr) { return release(ptr, true); }

cudaError_t cudaPointerGetAttributes(cudaPointerAttributes* a, const void* ptr) {
  Memory& m = memory();
  std::lock_guard<std::mutex> g(m.mu);
  const auto* b = find_locked(ptr, 0);
  a->type = !b ? cudaMemoryTypeUnregistered : b->second.device >= 0 ? cudaMemoryTypeDevice : cudaMemoryTypeHost;
  a->device = b && b->second.device >= 0 ? b->second.device : -2;
  a->devicePointer = b && b->second.device >= 0 ? const_cast<void*>(ptr) : nullptr;
  a->hostPointer = b && b->second.device >= 0 ? nullptr : const_cast<void*>(ptr);
  return cudaSuccess;
}

namespace {
// Runs a copy or memset as work on `stream` (Note [Emulator streams]).
template <class F>
cudaError_t as_work(cudaStream_t stream, F f) {
  const auto t0 = EmuClock::now();
  cudaError_t e = f();
  note_work(stream, EmuClock::now() - t0);
  return e;
}
}  // namespace

cudaError_t cudaMemcpy(void* dst, const void* src, size_t count, cudaMemcpyKind kind) {
  if (cudaError_t e = as_work(nullptr, [&] { return copy(dst, src, count, kind); })) return e;
  if (kind != cudaMemcpyDeviceToHost && kind != cudaMemcpyDefault) return cudaSuccess;
  // A copy to the host synchronizes: the time to find what kernels wrote out of bounds.
  sleep_until(device_ready(current));
  return check_all_guards(-1);
}
cudaError_t cudaMemcpyAsync(void* dst, const void* src, size_t count, cudaMemcpyKind kind, cudaStream_t stream) {
  return as_work(stream, [&] { return copy(dst, src, count, kind); });
}
cudaError_t cudaMemcpyPeerAsync(void* dst, int dst_device, const void* src, int src_device, size_t count,
                                cudaStream_t stream) {
  if (count == 0) return cudaSuccess;
  if (locate(dst, count) != dst_device || locate(src, count) != src_device)
    return fail(cudaErrorInvalidValue, "CUDA emulator memcheck: cudaMemcpyPeer range not in the memory of cuda:" +
                                           std::to_string(dst_device) + " / cuda:" + std::to_string(src_device));
  return as_work(stream, [&] {
    std::memmove(dst, src, count);
    return cudaSuccess;
  });
}
cudaError_t cudaMemcpyPeer(void* dst, int dst_device, const void* src, int src_device, size_t count) {
  return cudaMemcpyPeerAsync(dst, dst_device, src, src_device, count, nullptr);
}
cudaError_t cudaMemsetAsync(void* ptr, int value, size_t count, cudaStream_t stream) {
  if (count == 0) return cudaSuccess;
  if (locate(ptr, count) < 0)
    return fail(cudaErrorInvalidValue, "CUDA emulator memcheck: a " + std::to_string(count) +
                                           "-byte cudaMemset outside device memory");
  return as_work(stream, [&] {
    std::memset(ptr, value, count);
    return cudaSuccess;
  });
}
cudaError_t cudaMemset(void* ptr, int value, size_t count) { return cudaMemsetAsync(ptr, value, count, nullptr); }

cudaError_t cudaStreamCreate(cudaStream_t* stream) { return cudaStreamCreateWithPriority(stream, 0, 0); }
cudaError_t cudaStreamCreateWithFlags(cudaStream_t* stream, unsigned int flags) {
  return cudaStreamCreateWithPriority(stream, flags, 0);
}
cudaError_t cudaStreamCreateWithPriority(cudaStream_t* stream, unsigned int flags, int priority) {
  if (num_devices() == 0) return fail(cudaErrorNoDevice, "no CUDA-capable device is detected");
  // As the runtime, a priority outside [greatest, least] = [-5, 0] is clamped.
  auto* s = new PeEmuStream{current, flags, std::clamp(priority, -5, 0), EmuClock::now()};
  Streams& st = streams();
  std::lock_guard<std::mutex> g(st.mu);
  st.created.push_back(s);
  *stream = s;
  return cudaSuccess;
}
cudaError_t cudaStreamGetPriority(cudaStream_t stream, int* priority) {
  *priority = resolve(stream)->priority;
  return cudaSuccess;
}
cudaError_t cudaDeviceGetStreamPriorityRange(int* least, int* greatest) {
  if (least) *least = 0;
  if (greatest) *greatest = -5;
  return cudaSuccess;
}
cudaError_t cudaStreamDestroy(cudaStream_t stream) {
  // Kept in the registry (the handle may still be current somewhere); its work is done or ordered.
  return stream ? cudaSuccess : fail(cudaErrorInvalidResourceHandle, "invalid resource handle (null stream)");
}
cudaError_t cudaStreamSynchronize(cudaStream_t stream) {
  PeEmuStream* s = resolve(stream);
  EmuClock::time_point t;
  {
    std::lock_guard<std::mutex> g(streams().mu);
    t = s->ready;
  }
  sleep_until(t);
  return check_all_guards(s->device);
}
cudaError_t cudaStreamQuery(cudaStream_t stream) {
  PeEmuStream* s = resolve(stream);
  std::lock_guard<std::mutex> g(streams().mu);
  return EmuClock::now() >= s->ready ? cudaSuccess : cudaErrorNotReady;
}
cudaError_t cudaStreamWaitEvent(cudaStream_t stream, cudaEvent_t event, unsigned int) {
  if (!event) return fail(cudaErrorInvalidResourceHandle, "invalid resource handle (null event)");
  PeEmuStream* s = resolve(stream);
  std::lock_guard<std::mutex> g(streams().mu);
  if (event->recorded) s->ready = std::max(s->ready, event->time);
  return cudaSuccess;
}
cudaError_t cudaEventCreate(cudaEvent_t* event) { return cudaEventCreateWithFlags(event, 0); }
cudaError_t cudaEventCreateWithFlags(cudaEvent_t* event, unsigned int flags) {
  *event = new PeEmuEvent{current, flags, false, {}};
  return cudaSuccess;
}
cudaError_t cudaEventDestroy(cudaEvent_t event) {
  delete event;
  return cudaSuccess;
}
cudaError_t cudaEventRecord(cudaEvent_t event, cudaStream_t stream) {
  if (!event) return fail(cudaErrorInvalidResourceHandle, "invalid resource handle (null event)");
  PeEmuStream* s = resolve(stream);
  std::lock_guard<std::mutex> g(streams().mu);
  event->device = s->device;
  event->recorded = true;
  event->time = start_time_locked(s);  // when all earlier work of the stream is done
  s->ready = event->time;
  return cudaSuccess;
}
cudaError_t cudaEventSynchronize(cudaEvent_t event) {
  if (!event) return fail(cudaErrorInvalidResourceHandle, "invalid resource handle (null event)");
  if (!event->recorded) return cudaSuccess;
  sleep_until(event->time);
  return check_all_guards(event->device);
}
cudaError_t cudaEventQuery(cudaEvent_t event) {
  if (!event) return fail(cudaErrorInvalidResourceHandle, "invalid resource handle (null event)");
  return !event->recorded || EmuClock::now() >= event->time ? cudaSuccess : cudaErrorNotReady;
}
cudaError_t cudaEventElapsedTime(float* ms, cudaEvent_t start, cudaEvent_t end) {
  if (!start || !end || !start->recorded || !end->recorded)
    return fail(cudaErrorInvalidResourceHandle, "cudaEventElapsedTime: an event was not recorded");
  if ((start->flags | end->flags) & cudaEventDisableTiming)
    return fail(cudaErrorInvalidResourceHandle, "cudaEventElapsedTime: an event was created with timing disabled");
  if (EmuClock::now() < std::max(start->time, end->time)) return cudaErrorNotReady;
  *ms = std::chrono::duration<float, std::milli>(end->time - start->time).count();
  return cudaSuccess;
}

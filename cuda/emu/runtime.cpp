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
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <string>

#include "internal.h"

thread_local uint3 threadIdx PE_EMU_BUILTIN_TLS;
thread_local uint3 blockIdx PE_EMU_BUILTIN_TLS;
thread_local dim3 blockDim PE_EMU_BUILTIN_TLS;
thread_local dim3 gridDim PE_EMU_BUILTIN_TLS;

struct PeEmuStream {
  int device;
};
struct PeEmuEvent {
  int device;
  bool recorded;
  std::chrono::steady_clock::time_point time;
};

namespace pe::emu {
namespace {

constexpr size_t kGuard = 256;  // bytes on each side; cudaMalloc's alignment is 256 too
constexpr unsigned char kGuardByte = 0xFD;
constexpr unsigned char kFreshByte = 0xCB;
constexpr size_t kDeviceMemory = size_t(80) << 30;  // an H100's 80 GiB
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

struct Block {
  size_t size;  // as asked
  int device;   // -1: pinned host memory (cudaMallocHost)
  unsigned char* raw;
  size_t raw_size;
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
  const unsigned char* front = b.raw;
  const unsigned char* back = b.raw + kGuard + b.size;
  const size_t back_len = b.raw_size - kGuard - b.size;
  std::string msg;
  for (size_t i = 0; i < kGuard && msg.empty(); ++i)
    if (front[i] != kGuardByte)
      msg = "an out-of-bounds write " + std::to_string(kGuard - i) + " bytes before";
  for (size_t i = 0; i < back_len && msg.empty(); ++i)
    if (back[i] != kGuardByte) msg = "an out-of-bounds write " + std::to_string(i) + " bytes past the end of";
  if (msg.empty()) return msg;
  std::memset(b.raw, kGuardByte, kGuard);
  std::memset(b.raw + kGuard + b.size, kGuardByte, back_len);
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
  Memory& m = memory();
  const size_t raw_size = (kGuard + size + kGuard + kGuard - 1) / kGuard * kGuard;
  {
    std::lock_guard<std::mutex> g(m.mu);
    if (device >= 0 && m.used[device] + size > kDeviceMemory) {
      *ptr = nullptr;
      return fail(cudaErrorMemoryAllocation, "out of memory (the emulated device has 80 GiB)");
    }
  }
  auto* raw = static_cast<unsigned char*>(std::aligned_alloc(kGuard, raw_size));
  if (!raw) {
    *ptr = nullptr;
    return fail(cudaErrorMemoryAllocation, "out of memory (host memory behind the emulated device)");
  }
  std::memset(raw, kGuardByte, kGuard);
  std::memset(raw + kGuard, kFreshByte, size);
  std::memset(raw + kGuard + size, kGuardByte, raw_size - kGuard - size);
  *ptr = raw + kGuard;
  std::lock_guard<std::mutex> g(m.mu);
  m.blocks[reinterpret_cast<uintptr_t>(*ptr)] = Block{size, device, raw, raw_size};
  if (device >= 0) m.used[device] += size;
  return cudaSuccess;
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
      std::free(it->second.raw);
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

}  // namespace

cudaError_t fail(cudaError_t code, const std::string& message) {
  if (last_error == cudaSuccess) last_error = code;
  ErrorMessages& m = messages();
  std::lock_guard<std::mutex> g(m.mu);
  m.by_code[(int)code] = message;
  return code;
}

int current_device_index() { return current; }

int stream_device(cudaStream_t stream) { return stream ? stream->device : current; }

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
    default: return "cudaErrorUnknown";
  }
}

const char* cudaGetErrorString(cudaError_t error) {
  if (error == cudaSuccess) return "no error";
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
  p->totalGlobalMem = kDeviceMemory;
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

cudaError_t cudaDeviceSynchronize() { return check_all_guards(current); }

cudaError_t cudaMemGetInfo(size_t* free, size_t* total) {
  Memory& m = memory();
  std::lock_guard<std::mutex> g(m.mu);
  *total = kDeviceMemory;
  *free = kDeviceMemory - m.used[current];
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

cudaError_t cudaMemcpy(void* dst, const void* src, size_t count, cudaMemcpyKind kind) {
  if (cudaError_t e = copy(dst, src, count, kind)) return e;
  // A copy to the host synchronizes: the time to find what kernels wrote out of bounds.
  return kind == cudaMemcpyDeviceToHost ? check_all_guards(-1) : cudaSuccess;
}
cudaError_t cudaMemcpyAsync(void* dst, const void* src, size_t count, cudaMemcpyKind kind, cudaStream_t) {
  return copy(dst, src, count, kind);
}
cudaError_t cudaMemcpyPeer(void* dst, int dst_device, const void* src, int src_device, size_t count) {
  if (count == 0) return cudaSuccess;
  if (locate(dst, count) != dst_device || locate(src, count) != src_device)
    return fail(cudaErrorInvalidValue, "CUDA emulator memcheck: cudaMemcpyPeer range not in the memory of cuda:" +
                                           std::to_string(dst_device) + " / cuda:" + std::to_string(src_device));
  std::memmove(dst, src, count);
  return cudaSuccess;
}
cudaError_t cudaMemcpyPeerAsync(void* dst, int dst_device, const void* src, int src_device, size_t count,
                                cudaStream_t) {
  return cudaMemcpyPeer(dst, dst_device, src, src_device, count);
}
cudaError_t cudaMemset(void* ptr, int value, size_t count) {
  if (count == 0) return cudaSuccess;
  if (locate(ptr, count) < 0)
    return fail(cudaErrorInvalidValue, "CUDA emulator memcheck: a " + std::to_string(count) +
                                           "-byte cudaMemset outside device memory");
  std::memset(ptr, value, count);
  return cudaSuccess;
}
cudaError_t cudaMemsetAsync(void* ptr, int value, size_t count, cudaStream_t) { return cudaMemset(ptr, value, count); }

cudaError_t cudaStreamCreate(cudaStream_t* stream) { return cudaStreamCreateWithFlags(stream, 0); }
cudaError_t cudaStreamCreateWithFlags(cudaStream_t* stream, unsigned int) {
  if (num_devices() == 0) return fail(cudaErrorNoDevice, "no CUDA-capable device is detected");
  *stream = new PeEmuStream{current};
  return cudaSuccess;
}
cudaError_t cudaStreamDestroy(cudaStream_t stream) {
  delete stream;
  return cudaSuccess;
}
cudaError_t cudaStreamSynchronize(cudaStream_t stream) { return check_all_guards(stream_device(stream)); }
cudaError_t cudaStreamQuery(cudaStream_t) { return cudaSuccess; }
cudaError_t cudaStreamWaitEvent(cudaStream_t, cudaEvent_t event, unsigned int) {
  return event ? cudaSuccess : fail(cudaErrorInvalidResourceHandle, "invalid resource handle (null event)");
}
cudaError_t cudaEventCreate(cudaEvent_t* event) { return cudaEventCreateWithFlags(event, 0); }
cudaError_t cudaEventCreateWithFlags(cudaEvent_t* event, unsigned int) {
  *event = new PeEmuEvent{current, false, {}};
  return cudaSuccess;
}
cudaError_t cudaEventDestroy(cudaEvent_t event) {
  delete event;
  return cudaSuccess;
}
cudaError_t cudaEventRecord(cudaEvent_t event, cudaStream_t stream) {
  if (!event) return fail(cudaErrorInvalidResourceHandle, "invalid resource handle (null event)");
  event->device = stream_device(stream);
  event->recorded = true;
  event->time = std::chrono::steady_clock::now();
  return cudaSuccess;
}
cudaError_t cudaEventSynchronize(cudaEvent_t event) { return check_all_guards(event ? event->device : -1); }
cudaError_t cudaEventQuery(cudaEvent_t) { return cudaSuccess; }
cudaError_t cudaEventElapsedTime(float* ms, cudaEvent_t start, cudaEvent_t end) {
  if (!start || !end || !start->recorded || !end->recorded)
    return fail(cudaErrorInvalidResourceHandle, "cudaEventElapsedTime: an event was not recorded");
  *ms = std::chrono::duration<float, std::milli>(end->time - start->time).count();
  return cudaSuccess;
}

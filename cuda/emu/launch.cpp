// The emulator's grid scheduler (docs/cuda-emulator.md): runs a launch's blocks one after another on
// the calling host thread, and the threads of a block as cooperative fibers, each on a small stack of
// its own, switched by a few instructions of assembly (x86-64) or ucontext elsewhere.
//
// Note [Emulator scheduling]
// A fiber runs until it finishes or reaches a meeting point: __syncthreads() or a warp intrinsic.
// The scheduler resumes every runnable fiber in thread order; when none is left it releases what can
// be released (a warp group whose named lanes have all arrived, with one op and one mask; then a
// block barrier that every thread of the block has reached) and goes round again. When nothing can
// be released and some thread still waits, the kernel would hang on a GPU (or, for a thread that
// exited before a barrier, behave undefined): the launch fails with a message naming the block, the
// meeting point and who is missing, and the grid is abandoned. A fiber is a worker: when its thread
// finishes it starts the block's next unstarted thread on the same stack, so a kernel without meeting
// points runs a whole block on one stack with one pair of switches.
#include <sys/mman.h>
#include <unistd.h>

#include <cstdlib>
#include <exception>
#include <map>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

#include "internal.h"

#if !defined(__x86_64__)
#include <ucontext.h>
#endif

namespace pe::emu {
namespace {

constexpr size_t kStackSize = 128 * 1024;

enum class State { Fresh, Runnable, AtBarrier, AtWarp, Done };

struct Fiber {  // one thread of the block
  State state = State::Fresh;
  uint3 tid{};
  int linear = 0;
  char* stack = nullptr;  // the stack it runs on while started and not done
#if defined(__x86_64__)
  void* sp = nullptr;  // saved stack pointer while it waits
#else
  ucontext_t ctx;
#endif
  // the pending warp intrinsic
  WarpOp op = WarpOp::Sync;
  unsigned mask = 0;
  uint64_t value = 0, result = 0;
  int arg = 0, width = 32;
};

struct BlockRun {
  std::vector<Fiber> fibers;
  int next_fresh = 0;  // the next thread to start
  Fiber* running = nullptr;
  char* worker_stack = nullptr;  // the stack of the worker being started
  char* exited_stack = nullptr;  // the stack of a worker that found nothing left to start
  void (*body)(void*) = nullptr;
  void* ctx = nullptr;
  std::string error;  // from an exception thrown by a thread
#if defined(__x86_64__)
  void* sched_sp = nullptr;
#else
  ucontext_t sched;
  ucontext_t worker;  // the context of the worker being started
#endif
};

#define PE_EMU_TLS  // dynamic TLS: see PE_EMU_BUILTIN_TLS in kernel_lang.h
thread_local BlockRun* current_run PE_EMU_TLS = nullptr;
thread_local std::vector<char*> free_stacks;
thread_local char* smem_buffer PE_EMU_TLS = nullptr;
const size_t kPage = (size_t)sysconf(_SC_PAGESIZE);

char* take_stack() {
  if (!free_stacks.empty()) {
    char* s = free_stacks.back();
    free_stacks.pop_back();
    return s;
  }
  void* m = mmap(nullptr, kStackSize + kPage, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (m == MAP_FAILED) throw std::runtime_error("CUDA emulator: cannot map a fiber stack");
  mprotect(m, kPage, PROT_NONE);  // an overflow faults instead of corrupting the next stack
  return static_cast<char*>(m);
}
char* stack_top(char* s) { return s + kPage + kStackSize; }

[[noreturn]] void worker_main();

}  // namespace
}  // namespace pe::emu

// ---- the context switch ----
#if defined(__x86_64__)
extern "C" {
void pe_emu_switch(void** save_sp, void* new_sp) __attribute__((visibility("hidden")));
void pe_emu_fiber_entry() __attribute__((visibility("hidden")));
__attribute__((visibility("hidden"))) void pe_emu_fiber_main() { pe::emu::worker_main(); }
}
// Saves the callee-saved registers, MXCSR and the x87 control word on the current stack, stores the
// stack pointer in *save_sp, and resumes the context saved at new_sp the same way.
asm(R"(
  .text
  .p2align 4
  .type pe_emu_switch,@function
pe_emu_switch:
  pushq %rbp
  pushq %rbx
  pushq %r12
  pushq %r13
  pushq %r14
  pushq %r15
  subq $8, %rsp
  stmxcsr (%rsp)
  fnstcw 4(%rsp)
  movq %rsp, (%rdi)
  movq %rsi, %rsp
  ldmxcsr (%rsp)
  fldcw 4(%rsp)
  addq $8, %rsp
  popq %r15
  popq %r14
  popq %r13
  popq %r12
  popq %rbx
  popq %rbp
  ret
  .size pe_emu_switch,.-pe_emu_switch

  .p2align 4
  .type pe_emu_fiber_entry,@function
pe_emu_fiber_entry:
  .cfi_startproc
  .cfi_undefined rip
  call pe_emu_fiber_main
  ud2
  .cfi_endproc
  .size pe_emu_fiber_entry,.-pe_emu_fiber_entry
)");
#endif

namespace pe::emu {
namespace {

// A worker: runs unstarted threads of the block one after another on its stack, then hands the
// stack back and leaves for good (the scheduler drops the frame).
void worker_main() {
  BlockRun& r = *current_run;
  char* stack = r.worker_stack;
  while (r.next_fresh < (int)r.fibers.size()) {
    Fiber& f = r.fibers[r.next_fresh++];
    f.stack = stack;
    f.state = State::Runnable;
    threadIdx = f.tid;
    r.running = &f;
    try {
      r.body(r.ctx);
    } catch (const std::exception& e) {
      if (r.error.empty()) r.error = e.what();
    } catch (...) {
      if (r.error.empty()) r.error = "an exception of unknown type";
    }
    f.state = State::Done;
    f.stack = nullptr;
    if (!r.error.empty()) break;
  }
  r.exited_stack = stack;
#if defined(__x86_64__)
  void* dead_sp;
  pe_emu_switch(&dead_sp, r.sched_sp);
#else
  ucontext_t dead;
  swapcontext(&dead, &r.sched);
#endif
  __builtin_unreachable();
}

#if !defined(__x86_64__)
void ucontext_entry() { worker_main(); }
#endif

// Back to the scheduler from inside a thread, which has set its state.
void yield_to_scheduler() {
  BlockRun& r = *current_run;
#if defined(__x86_64__)
  pe_emu_switch(&r.running->sp, r.sched_sp);
#else
  swapcontext(&r.running->ctx, &r.sched);
#endif
}

void after_switch(BlockRun& r) {
  if (r.exited_stack) {
    free_stacks.push_back(r.exited_stack);
    r.exited_stack = nullptr;
  }
}

// Starts a worker on a new stack; returns when the thread it runs waits or nothing is left to start.
void start_worker(BlockRun& r) {
  r.worker_stack = take_stack();
#if defined(__x86_64__)
  // The frame pe_emu_switch pops: MXCSR + x87 control word, r15..r12, rbx, rbp, return address.
  // The entry runs with a 16-byte aligned stack pointer, as a call expects.
  auto* frame = reinterpret_cast<uint64_t*>(stack_top(r.worker_stack) - 16 - 64);
  frame[0] = 0x1F80ull | (0x037Full << 32);
  for (int i = 1; i < 7; ++i) frame[i] = 0;
  frame[7] = reinterpret_cast<uint64_t>(&pe_emu_fiber_entry);
  pe_emu_switch(&r.sched_sp, frame);
#else
  getcontext(&r.worker);
  r.worker.uc_stack.ss_sp = r.worker_stack + kPage;
  r.worker.uc_stack.ss_size = kStackSize;
  r.worker.uc_link = nullptr;
  makecontext(&r.worker, &ucontext_entry, 0);
  swapcontext(&r.sched, &r.worker);
#endif
  after_switch(r);
}

// Resumes a thread released from a meeting point.
void resume(BlockRun& r, Fiber& f) {
  threadIdx = f.tid;
  r.running = &f;
#if defined(__x86_64__)
  pe_emu_switch(&r.sched_sp, f.sp);
#else
  swapcontext(&r.sched, &f.ctx);
#endif
  after_switch(r);
}

const char* op_name(WarpOp op) {
  switch (op) {
    case WarpOp::ShflIdx: return "__shfl_sync";
    case WarpOp::ShflUp: return "__shfl_up_sync";
    case WarpOp::ShflDown: return "__shfl_down_sync";
    case WarpOp::ShflXor: return "__shfl_xor_sync";
    case WarpOp::Ballot: return "__ballot_sync";
    case WarpOp::Any: return "__any_sync";
    case WarpOp::All: return "__all_sync";
    case WarpOp::Sync: return "__syncwarp";
  }
  return "?";
}

std::string hex(unsigned v) {
  char b[16];
  std::snprintf(b, sizeof b, "%#x", v);
  return b;
}

// Releases every warp group whose lanes have all arrived. Returns whether one was released; sets
// `problem` for a group that never can be (a named lane exited, or waits elsewhere).
bool release_warps(BlockRun& r, std::string& problem) {
  bool released = false;
  const int n = (int)r.fibers.size();
  for (int base = 0; base < n; base += 32) {
    const int lanes = n - base < 32 ? n - base : 32;
    const unsigned present = lanes == 32 ? 0xffffffffu : ((1u << lanes) - 1);
    for (int l = 0; l < lanes; ++l) {
      Fiber& first = r.fibers[base + l];
      if (first.state != State::AtWarp) continue;
      const unsigned need = first.mask & present;
      std::string why;
      if (!(first.mask >> l & 1)) why = "the calling lane is not in the mask";
      for (int k = 0; k < lanes && why.empty(); ++k) {
        if (!(need >> k & 1)) continue;
        const Fiber& g = r.fibers[base + k];
        if (g.state == State::AtWarp && g.op == first.op && g.mask == first.mask) continue;
        why = "lane " + std::to_string(k) +
              (g.state == State::Done        ? " had exited"
               : g.state == State::AtBarrier ? " waits at __syncthreads()"
               : g.state == State::AtWarp    ? std::string(" waits at ") + op_name(g.op) + " with mask " + hex(g.mask)
                                             : " never arrived");
      }
      if (!why.empty()) {
        if (problem.empty())
          problem = std::string(op_name(first.op)) + " with mask " + hex(first.mask) + " in warp " +
                    std::to_string(base / 32) + " cannot complete: " + why;
        continue;
      }
      const int width = first.width;
      if (width <= 0 || width > 32 || (width & (width - 1))) {
        problem = std::string(op_name(first.op)) + ": width " + std::to_string(width) + " is not a power of 2 <= 32";
        continue;
      }
      uint64_t reduced = 0;
      if (first.op == WarpOp::Ballot || first.op == WarpOp::Any || first.op == WarpOp::All) {
        unsigned ballot = 0;
        for (int k = 0; k < lanes; ++k)
          if ((need >> k & 1) && r.fibers[base + k].value) ballot |= 1u << k;
        reduced = first.op == WarpOp::Ballot ? ballot : first.op == WarpOp::Any ? ballot != 0 : ballot == need;
      }
      for (int k = 0; k < lanes; ++k) {
        if (!(need >> k & 1)) continue;
        Fiber& g = r.fibers[base + k];
        const int seg = k & ~(width - 1);
        int src = k;
        switch (g.op) {
          case WarpOp::ShflIdx: src = seg + (g.arg & (width - 1)); break;
          case WarpOp::ShflUp: src = k - g.arg >= seg ? k - g.arg : k; break;
          case WarpOp::ShflDown: src = k + g.arg < seg + width ? k + g.arg : k; break;
          case WarpOp::ShflXor: src = ((k ^ g.arg) & ~(width - 1)) == seg ? k ^ g.arg : k; break;
          default: break;
        }
        // Reading a lane that did not take part is undefined on a GPU; here it reads the own value.
        const bool shuffle = g.op == WarpOp::ShflIdx || g.op == WarpOp::ShflUp || g.op == WarpOp::ShflDown ||
                             g.op == WarpOp::ShflXor;
        g.result = shuffle ? (src < lanes && (need >> src & 1) ? r.fibers[base + src].value : g.value) : reduced;
        g.state = State::Runnable;
      }
      released = true;
    }
  }
  return released;
}

std::string block_name() {
  return "(" + std::to_string(blockIdx.x) + "," + std::to_string(blockIdx.y) + "," + std::to_string(blockIdx.z) + ")";
}

// Runs one block to the end; returns "" or what went wrong.
std::string run_block(BlockRun& r) {
  for (Fiber& f : r.fibers) f.state = State::Fresh;
  r.next_fresh = 0;
  const int n = (int)r.fibers.size();
  for (;;) {
    while (r.next_fresh < n && r.error.empty()) start_worker(r);
    for (Fiber& f : r.fibers)
      if (f.state == State::Runnable && r.error.empty()) resume(r, f);
    if (!r.error.empty()) return "a thread of block " + block_name() + " threw: " + r.error;
    std::string problem;
    if (release_warps(r, problem)) continue;
    int at_barrier = 0, done = 0;
    for (const Fiber& f : r.fibers) {
      at_barrier += f.state == State::AtBarrier;
      done += f.state == State::Done;
    }
    if (done == n) return "";
    if (at_barrier == n) {
      for (Fiber& f : r.fibers) f.state = State::Runnable;
      continue;
    }
    if (problem.empty())
      problem = "__syncthreads() reached by " + std::to_string(at_barrier) + " of " + std::to_string(n) +
                " threads (" + std::to_string(done) + " had exited, " + std::to_string(n - at_barrier - done) +
                " wait at a warp intrinsic): a barrier in divergent code";
    return "block " + block_name() + ": " + problem;
  }
}

// Drops the stacks of threads abandoned mid-kernel (their frames hold nothing that needs destroying:
// kernels own no resources).
void abandon(BlockRun& r) {
  for (Fiber& f : r.fibers)
    if (f.stack && f.state != State::Done) {
      free_stacks.push_back(f.stack);
      f.stack = nullptr;
    }
}

struct SmemLimits {
  std::mutex mu;
  std::map<const void*, int> by_kernel;
};
SmemLimits& smem_limits() {
  static auto* s = new SmemLimits();
  return *s;
}

}  // namespace

void sync_block() {
  if (!current_run) throw std::logic_error("CUDA emulator: __syncthreads() outside a kernel");
  current_run->running->state = State::AtBarrier;
  yield_to_scheduler();
}

uint64_t warp_op(WarpOp op, unsigned mask, uint64_t value, int arg, int width) {
  if (!current_run) throw std::logic_error("CUDA emulator: a warp intrinsic outside a kernel");
  Fiber* f = current_run->running;
  f->op = op;
  f->mask = mask;
  f->value = value;
  f->arg = arg;
  f->width = width;
  f->state = State::AtWarp;
  yield_to_scheduler();
  return f->result;
}

unsigned active_mask() {
  BlockRun& r = *current_run;
  const int base = r.running->linear & ~31;
  unsigned m = 0;
  for (int k = 0; k < 32 && base + k < (int)r.fibers.size(); ++k)
    if (r.fibers[base + k].state != State::Done) m |= 1u << k;
  return m;
}

void* dynamic_smem() { return smem_buffer; }

cudaError_t set_max_dynamic_smem(const void* kernel, cudaFuncAttribute attr, int value) {
  if (attr != cudaFuncAttributeMaxDynamicSharedMemorySize || value < 0 || value > kMaxSmemPerBlockOptin)
    return fail(cudaErrorInvalidValue, "cudaFuncSetAttribute: invalid argument");
  SmemLimits& s = smem_limits();
  std::lock_guard<std::mutex> g(s.mu);
  s.by_kernel[kernel] = value;
  return cudaSuccess;
}

void run_grid(const LaunchConfig& cfg, void (*thread_body)(void*), void* ctx) {
  int count = 0;
  if (cudaGetDeviceCount(&count) != cudaSuccess) return;
  const int device = current_device_index();
  if (stream_device(cfg.stream) != device) {
    fail(cudaErrorInvalidResourceHandle, "invalid resource handle (a stream of another device)");
    return;
  }
  const dim3 g = cfg.grid, b = cfg.block;
  const unsigned long long threads = (unsigned long long)b.x * b.y * b.z;
  if (threads == 0 || threads > 1024 || b.x > 1024 || b.y > 1024 || b.z > 64 || g.x == 0 || g.y == 0 ||
      g.z == 0 || g.x > 2147483647u || g.y > 65535 || g.z > 65535) {
    fail(cudaErrorInvalidConfiguration,
         "invalid configuration argument (grid " + std::to_string(g.x) + "x" + std::to_string(g.y) + "x" +
             std::to_string(g.z) + ", block " + std::to_string(b.x) + "x" + std::to_string(b.y) + "x" +
             std::to_string(b.z) + ")");
    return;
  }
  int smem_limit = kMaxStaticSmem;
  {
    SmemLimits& s = smem_limits();
    std::lock_guard<std::mutex> lock(s.mu);
    auto it = s.by_kernel.find(cfg.kernel);
    if (it != s.by_kernel.end()) smem_limit = it->second;
  }
  if (cfg.smem > (size_t)smem_limit) {
    fail(cudaErrorInvalidValue, "invalid argument: " + std::to_string(cfg.smem) +
                                    " bytes of dynamic shared memory, the kernel may use " +
                                    std::to_string(smem_limit));
    return;
  }
  if (check_kernel_pointers(cfg.pointers, cfg.npointers, device) != cudaSuccess) return;
  if (!smem_buffer) smem_buffer = static_cast<char*>(std::aligned_alloc(256, kMaxSmemPerBlockOptin));

  BlockRun r;
  r.body = thread_body;
  r.ctx = ctx;
  r.fibers.resize(threads);
  int i = 0;
  for (unsigned z = 0; z < b.z; ++z)
    for (unsigned y = 0; y < b.y; ++y)
      for (unsigned x = 0; x < b.x; ++x, ++i) {
        r.fibers[i].tid = uint3{x, y, z};
        r.fibers[i].linear = i;
      }
  const auto t0 = std::chrono::steady_clock::now();
  BlockRun* outer = current_run;  // a launch from inside a kernel is not supported, but stay sane
  current_run = &r;
  gridDim = g;
  blockDim = b;
  std::string error;
  begin_kernel_memcheck();
  for (unsigned bz = 0; bz < g.z && error.empty(); ++bz)
    for (unsigned by = 0; by < g.y && error.empty(); ++by)
      for (unsigned bx = 0; bx < g.x && error.empty(); ++bx) {
        blockIdx = uint3{bx, by, bz};
        std::memset(smem_buffer, 0xCB, cfg.smem);
        error = run_block(r);
      }
  current_run = outer;
  const uintptr_t fault = end_kernel_memcheck();
  note_work(cfg.stream, std::chrono::steady_clock::now() - t0);
  if (!error.empty()) {
    abandon(r);
    fail(cudaErrorLaunchFailure, "CUDA emulator: kernel failed in " + error);
    return;
  }
  if (fault) {
    report_fault(fault);
    return;
  }
  check_guards_of(cfg.pointers, cfg.npointers);
}

}  // namespace pe::emu

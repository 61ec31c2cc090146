// Guard pages and the fault handler that turns a kernel's out-of-bounds access into a launch error
// (Note [Emulator memcheck] in runtime.cpp).
//
// Note [Emulator guard pages]
// Every device allocation is mapped with an inaccessible page on each side, its payload ending where
// the back page begins (up to 255 bytes earlier: cudaMalloc's 256-byte alignment). A kernel that
// reads or writes into a guard page faults; the SIGSEGV handler, seeing that the faulting thread is
// running a kernel and that the page is one of ours (a lock-free table, as a handler may not lock),
// makes the page accessible, notes the address and lets the kernel go on (its out-of-bounds reads
// see zeros or garbage, as on a GPU). A fault on an address nobody mapped (a wild pointer) gets a
// scratch page there, unmapped again after the launch; a null pointer (below the lowest mappable
// address) cannot be served and stays a crash. When the launch ends, the pages are made inaccessible again and
// the launch fails with cudaErrorIllegalAddress naming the address and the allocation. Any other
// fault goes to the handler that was there before (Python's faulthandler, or the default crash).
#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>

#include <atomic>
#include <cstring>

#include "internal.h"

namespace pe::emu {
namespace {

constexpr size_t kSlots = size_t(1) << 16;  // guard pages of up to 32768 live allocations
constexpr uintptr_t kEmpty = 0, kTombstone = 1;
std::atomic<uintptr_t> g_table[kSlots];

size_t slot_of(uintptr_t page) { return (page / 4096 * 0x9E3779B97F4A7C15ull) >> 48; }

bool table_contains(uintptr_t page) {
  size_t i = slot_of(page);
  for (size_t n = 0; n < kSlots; ++n, i = (i + 1) & (kSlots - 1)) {
    const uintptr_t v = g_table[i].load(std::memory_order_acquire);
    if (v == page) return true;
    if (v == kEmpty) return false;
  }
  return false;
}

constexpr int kMaxFaults = 64;
#define PE_EMU_TLS  // dynamic TLS: see PE_EMU_BUILTIN_TLS in kernel_lang.h
thread_local bool t_in_kernel PE_EMU_TLS = false;
thread_local int t_nfaults PE_EMU_TLS = 0;
thread_local uintptr_t t_fault_pages[kMaxFaults] PE_EMU_TLS;
thread_local bool t_fault_mapped[kMaxFaults] PE_EMU_TLS;  // a page mapped for the kernel (was unmapped)
thread_local uintptr_t t_first_fault PE_EMU_TLS = 0;

struct sigaction g_previous;
const size_t kPage = (size_t)sysconf(_SC_PAGESIZE);

void on_fault(int sig, siginfo_t* info, void* uctx) {
  const uintptr_t addr = reinterpret_cast<uintptr_t>(info->si_addr);
  const uintptr_t page = addr & ~(uintptr_t)(kPage - 1);
  if (t_in_kernel && t_nfaults < kMaxFaults) {
    bool fixed = false, mapped = false;
    if (info->si_code == SEGV_ACCERR && table_contains(page)) {
      fixed = mprotect(reinterpret_cast<void*>(page), kPage, PROT_READ | PROT_WRITE) == 0;
    } else if (info->si_code == SEGV_MAPERR) {
      // A wild address nobody mapped: a scratch page there for the rest of the kernel.
      void* m = mmap(reinterpret_cast<void*>(page), kPage, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
      fixed = mapped = m == reinterpret_cast<void*>(page);
      if (m != MAP_FAILED && !mapped) munmap(m, kPage);  // an old kernel ignoring the flag
    }
    if (fixed) {
      if (t_nfaults == 0) t_first_fault = addr;
      t_fault_mapped[t_nfaults] = mapped;
      t_fault_pages[t_nfaults++] = page;
      return;  // the access is retried, now on an accessible page
    }
  }
  // Not ours: as if this handler were not there.
  if (g_previous.sa_flags & SA_SIGINFO) {
    g_previous.sa_sigaction(sig, info, uctx);
  } else if (g_previous.sa_handler != SIG_DFL && g_previous.sa_handler != SIG_IGN) {
    g_previous.sa_handler(sig);
  } else {
    signal(sig, SIG_DFL);  // returning re-runs the access, which now takes the default action
  }
}

}  // namespace

bool add_guard_page(void* page) {
  const uintptr_t p = reinterpret_cast<uintptr_t>(page);
  size_t i = slot_of(p);
  for (size_t n = 0; n < kSlots; ++n, i = (i + 1) & (kSlots - 1)) {
    uintptr_t v = g_table[i].load(std::memory_order_relaxed);
    if ((v == kEmpty || v == kTombstone) && g_table[i].compare_exchange_strong(v, p, std::memory_order_release))
      return true;
  }
  return false;  // full: the allocation keeps its byte guards only
}

void remove_guard_page(void* page) {
  const uintptr_t p = reinterpret_cast<uintptr_t>(page);
  size_t i = slot_of(p);
  for (size_t n = 0; n < kSlots; ++n, i = (i + 1) & (kSlots - 1)) {
    uintptr_t v = g_table[i].load(std::memory_order_relaxed);
    if (v == p) {
      g_table[i].store(kTombstone, std::memory_order_release);
      return;
    }
    if (v == kEmpty) return;
  }
}

void begin_kernel_memcheck() {
  // (Re)installed at each launch: a handler installed after ours (faulthandler.enable()) would
  // otherwise take our faults for crashes.
  struct sigaction cur;
  if (sigaction(SIGSEGV, nullptr, &cur) == 0 && !((cur.sa_flags & SA_SIGINFO) && cur.sa_sigaction == &on_fault)) {
    struct sigaction sa;
    std::memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = &on_fault;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGSEGV, &sa, &g_previous) != 0) g_previous = cur;
  }
  t_nfaults = 0;
  t_first_fault = 0;
  t_in_kernel = true;
}

uintptr_t end_kernel_memcheck() {
  t_in_kernel = false;
  for (int i = 0; i < t_nfaults; ++i) {
    void* page = reinterpret_cast<void*>(t_fault_pages[i]);
    if (t_fault_mapped[i])
      munmap(page, kPage);
    else
      mprotect(page, kPage, PROT_NONE);
  }
  const uintptr_t first = t_nfaults ? t_first_fault : 0;
  t_nfaults = 0;
  return first;
}

}  // namespace pe::emu

// torch.cuda._sleep(cycles): keeps the current stream busy, so tests can see work that has not
// finished yet (events not ready, the allocator holding a block that another stream still uses).
#include "cuda/device.h"
#include "cuda/launch.cuh"
#include "cuda/stream.h"

namespace pe::cuda {

#if !defined(PE_CUDA_EMULATE)
namespace {
// Spins for `cycles` SM clock cycles.
__global__ void spin_kernel(int64_t cycles) {
  const long long start = clock64();
  while (clock64() - start < cycles) {
  }
}
}  // namespace
#endif

void sleep_cycles(int64_t cycles) {
  if (cycles <= 0) return;
#if defined(PE_CUDA_EMULATE)
  // A spinning fiber would block the host thread: the emulator makes the stream busy instead, for the
  // time an H100 at its 1.755 GHz boost clock would spin (Note [Emulator streams]).
  PE_CUDA_CHECK(::pe::emu::delay_stream(current_stream(), (uint64_t)((double)cycles / 1.755)));
#else
  launch_kernel(spin_kernel, 1, 1, 0, current_stream(), cycles);
#endif
}

}  // namespace pe::cuda

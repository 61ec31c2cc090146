#include "core/matmul_precision.h"

#include <atomic>

namespace pe {
namespace {
std::atomic<bool> allow_tf32{false};  // PyTorch's default: 'highest'
}  // namespace

bool matmul_allow_tf32() { return allow_tf32.load(std::memory_order_relaxed); }
void set_matmul_allow_tf32(bool allow) { allow_tf32.store(allow, std::memory_order_relaxed); }

}  // namespace pe

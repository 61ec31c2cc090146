// The process-wide float32 matmul precision switch: torch.backends.cuda.matmul.allow_tf32 and
// torch.set_float32_matmul_precision (pyengine/backends/_precision.py sets it). When on, float32
// products on CUDA run on the tensor cores with TF32 inputs (Note [CUDA tensor-core GEMM]); the CPU
// GEMM always computes in full float32, as PyTorch's.
#pragma once

namespace pe {

bool matmul_allow_tf32();
void set_matmul_allow_tf32(bool allow);

}  // namespace pe

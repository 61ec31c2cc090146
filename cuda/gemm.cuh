// Our GEMM on CUDA (no cuBLAS), the one matrix-product engine of cuda/: bmm_stub (gemm.cu), linear
// and conv2d (nn_conv.cu) all call gemm(). Operands are read through their own element strides, so
// a transposed or sliced view (or a stride-0 broadcast batch) needs no copy.
//
// Note [CUDA GEMM]
// C[b] = alpha * sum_{s < sums} A[b, s] @ B[b, s] + beta * C[b] (+ bias[i * bias_rs + j * bias_cs]), for
// b < batch, A[b, s] (m, k), B[b, s] (k, n), C[b] (m, n). The `sums` products added into one output
// are what conv2d's weight gradient needs (one product per sample, summed in sample order, so the
// result is deterministic). beta == 0 never reads C (NaN there does not propagate), as PyTorch.
// The kernel: 64x64 output tiles per 256-thread block (16x64 per 64 threads for products of at
// most 16 rows: conv weights, small batches), each thread a 4x4 register block; 16- or 32-deep
// slices of A and B are staged through shared memory, double buffered (the next slice is read from
// global memory into registers while the current one is multiplied), with the thread-to-element
// mapping of each load chosen so that neighbouring threads read neighbouring addresses whichever of
// the operand's two strides is the unit one. Every shape works: tails are zero-filled in the tiles,
// k == 0 gives alpha * 0 + beta * C. Floats accumulate in their own type; integers in uint64_t
// (wrapping, as the CPU kernel and PyTorch's integer products).
//
// Note [CUDA tensor-core GEMM]
// float16 and bfloat16 products (and float32 ones when `tf32` is set: torch.backends.cuda.matmul.
// allow_tf32, or a float32 matmul precision other than 'highest', as PyTorch) run on the tensor cores
// through the WMMA API (gemm_tc.cu): 64x64 output tiles per 4-warp block, 16x16 fragments (k 16,
// or 8 for TF32), the same strided, zero-filled, double-buffered staging as the SIMT kernel, float32
// accumulation, and alpha/beta/bias applied in float32 before the one rounding to the output type
// (PyTorch's cuBLAS calls compute the same way). TF32 rounds each float32 input to 10 mantissa bits
// (to nearest, ties away, as cvt.rna.tf32) inside the fragments. The emulated device runs the same
// kernel through cuda/emu/mma.h (Note [Emulated WMMA]), so the flag changes results there too.
#pragma once
#include <cstdint>

#include "core/dtype.h"
#include "core/scalar.h"

namespace pe::cuda {

struct GemmOperand {
  const void* data = nullptr;
  int64_t rs = 0, cs = 0;  // row / column stride, in elements
  int64_t bs = 0;          // stride between the batch's matrices
  int64_t ss = 0;          // stride between the summed products (GemmProblem::sums)
};

struct GemmProblem {
  DType dtype = DType::Float32;  // float16/bfloat16/32/64 or an integer type; every operand has it
  bool tf32 = false;             // float32 on the tensor cores, inputs rounded to TF32
  int64_t batch = 1, m = 0, n = 0, k = 0, sums = 1;
  GemmOperand a, b;
  void* c = nullptr;
  int64_t c_rs = 0, c_cs = 0, c_bs = 0;
  Scalar alpha = Scalar(int64_t(1)), beta = Scalar(int64_t(0));
  const void* bias = nullptr;  // optional, of dtype: bias[i * bias_rs + j * bias_cs] is added to C[b][i][j]
  int64_t bias_rs = 0, bias_cs = 1;
};

// Runs the problem on the current device and stream (callers hold a DeviceGuard).
void gemm(const GemmProblem& p);
// The tensor-core kernel (gemm_tc.cu): float16, bfloat16, float32 as TF32. gemm() calls it.
void gemm_tensor_core(const GemmProblem& p);

}  // namespace pe::cuda

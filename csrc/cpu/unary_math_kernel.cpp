// CPU kernel of the unary floating-point ops (unary_float_stub): one switch per floating dtype over
// the functors of ops/elementwise_functors.h. float32 exp and sigmoid get loops compiled for
// AVX2+FMA and AVX-512 (intrinsics, cpu/exp_avx512.h) and chosen at run time (the library is built
// for baseline x86-64): their polynomial exp vectorizes 4x wider there, with fused multiply-adds,
// and AVX2 and AVX-512 give bit-identical results. All layouts go through the
// chosen loop (cpu_kernel_dense), so a value does not depend on the layout or the chunking.
#include "cpu/loop.h"
#include "ops/elementwise_functors.h"
#if defined(__x86_64__) && defined(__GNUC__)
#include "cpu/exp_avx512.h"
#endif

namespace pe::cpu {
namespace {

enum class Isa { Default, Avx2, Avx512 };

Isa detect_isa() {
#if defined(__x86_64__) && defined(__GNUC__)
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq")) return Isa::Avx512;
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return Isa::Avx2;
#endif
  return Isa::Default;
}
const Isa kIsa = detect_isa();

// The float32 ops with hand-picked loops; Fma: compiled for a target with fused multiply-add.
template <bool Fma>
PE_ALWAYS_INLINE float exp_op(float x) { return math::exp_f32<Fma>(x); }
template <bool Fma>
PE_ALWAYS_INLINE float sigmoid_op(float x) { return 1.0f / (1.0f + math::exp_f32<Fma>(-x)); }

// One dense loop per instruction set, and the one this CPU runs.
#if defined(__x86_64__) && defined(__GNUC__)
#define PE_DENSE_LOOPS(op)                                                                    \
  void op##_default(float* out, const float* in, int64_t n) {                                 \
    for (int64_t i = 0; i < n; ++i) out[i] = op##_op<false>(in[i]);                           \
  }                                                                                           \
  __attribute__((target("avx2,fma"))) void op##_avx2(float* out, const float* in, int64_t n) { \
    for (int64_t i = 0; i < n; ++i) out[i] = op##_op<true>(in[i]);                            \
  }                                                                                           \
  void op##_dense(float* out, const float* in, int64_t n) {                                   \
    if (kIsa == Isa::Avx512) avx512::loop<&avx512::op>(out, in, n);                           \
    else if (kIsa == Isa::Avx2) op##_avx2(out, in, n);                                        \
    else op##_default(out, in, n);                                                            \
  }
#else
#define PE_DENSE_LOOPS(op)                                                                    \
  void op##_dense(float* out, const float* in, int64_t n) {                                   \
    for (int64_t i = 0; i < n; ++i) out[i] = op##_op<false>(in[i]);                           \
  }
#endif
PE_DENSE_LOOPS(exp)
PE_DENSE_LOOPS(sigmoid)

template <class T>
void run_op(const TensorIter& iter, UnaryFloatOp op) {
  switch (op) {
#define PE_CASE(Name, name, expr) \
  case UnaryFloatOp::Name:        \
    return cpu_kernel(iter, Name##Functor<T>());
    PE_FORALL_UNARY_FLOAT_OPS(PE_CASE)
    PE_FORALL_ROUNDING_OPS(PE_CASE)
#undef PE_CASE
  }
  PE_ERROR("unary_float: unknown op ", (int)op);
}

void unary_float_kernel(const TensorIter& iter, UnaryFloatOp op) {
  if (iter.dtype(0) == DType::Float32 && op == UnaryFloatOp::Exp) return cpu_kernel_dense<float, float>(iter, &exp_dense);
  if (iter.dtype(0) == DType::Float32 && op == UnaryFloatOp::Sigmoid)
    return cpu_kernel_dense<float, float>(iter, &sigmoid_dense);
  PE_DISPATCH_FLOATING_TYPES(iter.dtype(0), "unary_float", [&] { run_op<scalar_t>(iter, op); });
}

PE_REGISTER_KERNEL(unary_float_stub, CPU, &unary_float_kernel);

}  // namespace
}  // namespace pe::cpu

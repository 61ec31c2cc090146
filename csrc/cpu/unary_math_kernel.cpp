// CPU kernel of the unary floating-point ops (unary_float_stub): one switch per floating dtype over
// the functors of ops/elementwise_functors.h. float32 exp, log, tanh, sigmoid, erf and erfc get
// branch-free polynomial versions (ops/fast_math.h, cpu/vec_math.h) compiled three times: for the
// baseline, for AVX2+FMA and for AVX-512 (exp: intrinsics, cpu/exp_avx512.h), one chosen at run
// time (the library is built for baseline x86-64). AVX2 and AVX-512 give bit-identical results
// (the same IEEE operations, fused multiply-adds in both); the baseline loop may differ from them
// in the last bit. All layouts go through the chosen loop (cpu_kernel_dense), so a value does not
// depend on the layout or the chunking.
#include <cstdlib>
#include <cstring>

#include "cpu/complex_math.h"
#include "cpu/loop.h"
#include "cpu/vec_math.h"
#include "ops/elementwise_functors.h"
#if defined(__x86_64__) && defined(__GNUC__)
#include "cpu/exp_avx512.h"
#endif

namespace pe::cpu {
namespace {

enum class Isa { Default, Avx2, Avx512 };

// The widest instruction set of this CPU; PYENGINE_CPU_ISA=avx2 or =baseline caps it (the tests
// use that to check that AVX2 and AVX-512 give the same bits).
Isa detect_isa() {
  Isa cap = Isa::Avx512;
  if (const char* env = std::getenv("PYENGINE_CPU_ISA")) {
    if (std::strcmp(env, "avx2") == 0) cap = Isa::Avx2;
    else if (std::strcmp(env, "baseline") == 0) cap = Isa::Default;
  }
#if defined(__x86_64__) && defined(__GNUC__)
  __builtin_cpu_init();
  if (cap == Isa::Avx512 && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq"))
    return Isa::Avx512;
  if (cap != Isa::Default && __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return Isa::Avx2;
#endif
  return Isa::Default;
}
const Isa kIsa = detect_isa();

// The float32 ops with hand-picked loops; Fma: compiled for a target with fused multiply-add.
template <bool Fma>
PE_ALWAYS_INLINE float exp_op(float x) { return math::exp_f32<Fma>(x); }
template <bool Fma>
PE_ALWAYS_INLINE float log_op(float x) { return math::log_f32<Fma>(x); }
template <bool Fma>
PE_ALWAYS_INLINE float tanh_op(float x) { return math::tanh_f32<Fma>(x); }
template <bool Fma>
PE_ALWAYS_INLINE float sigmoid_op(float x) { return math::sigmoid_f32<Fma>(x); }
template <bool Fma>
PE_ALWAYS_INLINE float erf_op(float x) { return math::erf_f32<Fma>(x); }
template <bool Fma>
PE_ALWAYS_INLINE float erfc_op(float x) { return math::erfc_f32<Fma>(x); }

using DenseLoop = void (*)(float*, const float*, int64_t);

// One dense loop per instruction set (the AVX-512 one from the same scalar source, vectorized
// 16 wide: prefer-vector-width=512, gcc's default for avx512 targets is 256), and the one this
// CPU runs.
#if defined(__x86_64__) && defined(__GNUC__)
#define PE_DENSE_LOOPS(op)                                                                       \
  void op##_default(float* out, const float* in, int64_t n) {                                    \
    for (int64_t i = 0; i < n; ++i) out[i] = op##_op<false>(in[i]);                              \
  }                                                                                              \
  __attribute__((target("avx2,fma"))) void op##_avx2(float* out, const float* in, int64_t n) {    \
    for (int64_t i = 0; i < n; ++i) out[i] = op##_op<true>(in[i]);                               \
  }                                                                                              \
  __attribute__((target("avx512f,avx512dq,avx2,fma,prefer-vector-width=512"))) void op##_avx512( \
      float* out, const float* in, int64_t n) {                                                  \
    for (int64_t i = 0; i < n; ++i) out[i] = op##_op<true>(in[i]);                               \
  }                                                                                              \
  const DenseLoop op##_dense = kIsa == Isa::Avx512 ? &op##_avx512 : kIsa == Isa::Avx2 ? &op##_avx2 : &op##_default;
#else
#define PE_DENSE_LOOPS(op)                                                                       \
  void op##_default(float* out, const float* in, int64_t n) {                                    \
    for (int64_t i = 0; i < n; ++i) out[i] = op##_op<false>(in[i]);                              \
  }                                                                                              \
  const DenseLoop op##_dense = &op##_default;
#endif
PE_DENSE_LOOPS(exp)
PE_DENSE_LOOPS(log)
PE_DENSE_LOOPS(tanh)
PE_DENSE_LOOPS(sigmoid)
PE_DENSE_LOOPS(erf)
PE_DENSE_LOOPS(erfc)

#if defined(__x86_64__) && defined(__GNUC__)
// exp on AVX-512: the intrinsics loop (vscalefps), bit-identical to exp_avx2 and ~1.5x faster than
// the compiled one.
const DenseLoop exp_loop = kIsa == Isa::Avx512 ? &avx512::loop<&avx512::exp> : exp_dense;
#else
const DenseLoop exp_loop = exp_dense;
#endif

// The float32 loop of op, if it has one.
DenseLoop float_loop(UnaryFloatOp op) {
  switch (op) {
    case UnaryFloatOp::Exp: return exp_loop;
    case UnaryFloatOp::Log: return log_dense;
    case UnaryFloatOp::Tanh: return tanh_dense;
    case UnaryFloatOp::Sigmoid: return sigmoid_dense;
    case UnaryFloatOp::Erf: return erf_dense;
    case UnaryFloatOp::Erfc: return erfc_dense;
    default: return nullptr;
  }
}

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
  if (is_complex(iter.dtype(0))) return complex_unary_float(iter, op);
  if (iter.dtype(0) == DType::Float32) {
    if (DenseLoop loop = float_loop(op)) return cpu_kernel_dense<float, float>(iter, loop);
  }
  PE_DISPATCH_FLOATING_TYPES(iter.dtype(0), "unary_float", [&] { run_op<scalar_t>(iter, op); });
}

PE_REGISTER_KERNEL(unary_float_stub, CPU, &unary_float_kernel);

}  // namespace
}  // namespace pe::cpu

// CPU kernel of the unary floating-point ops (unary_float_stub): one switch per floating dtype over
// the functors of ops/elementwise_functors.h. float32 exp and sigmoid get dense loops compiled for
// AVX-512 / AVX2+FMA and chosen at run time (the library is built for baseline x86-64): their
// polynomial exp vectorizes 4x wider there.
#include "cpu/loop.h"
#include "ops/elementwise_functors.h"

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

// One dense float32 loop of functor F per instruction set.
#define PE_DENSE_LOOP(name, Functor, attr)                                  \
  attr void name(float* out, const float* in, int64_t n) {                   \
    const Functor<float> f;                                                  \
    for (int64_t i = 0; i < n; ++i) out[i] = f(in[i]);                       \
  }
#if defined(__x86_64__) && defined(__GNUC__)
#define PE_DENSE_LOOPS(Op)                                                                                \
  PE_DENSE_LOOP(Op##_dense_default, Op##Functor, )                                                        \
  PE_DENSE_LOOP(Op##_dense_avx2, Op##Functor, __attribute__((target("avx2,fma"))))                        \
  PE_DENSE_LOOP(Op##_dense_avx512, Op##Functor, __attribute__((target("avx512f,avx512dq,avx2,fma"))))     \
  void Op##_dense(float* out, const float* in, int64_t n) {                                               \
    if (kIsa == Isa::Avx512) Op##_dense_avx512(out, in, n);                                               \
    else if (kIsa == Isa::Avx2) Op##_dense_avx2(out, in, n);                                              \
    else Op##_dense_default(out, in, n);                                                                  \
  }
#else
#define PE_DENSE_LOOPS(Op) PE_DENSE_LOOP(Op##_dense, Op##Functor, )
#endif
PE_DENSE_LOOPS(Exp)
PE_DENSE_LOOPS(Sigmoid)

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
  if (iter.dtype(0) == DType::Float32 && op == UnaryFloatOp::Exp)
    return cpu_kernel_dense(iter, [](float a) -> float { return ExpFunctor<float>()(a); }, &Exp_dense);
  if (iter.dtype(0) == DType::Float32 && op == UnaryFloatOp::Sigmoid)
    return cpu_kernel_dense(iter, [](float a) -> float { return SigmoidFunctor<float>()(a); }, &Sigmoid_dense);
  PE_DISPATCH_FLOATING_TYPES(iter.dtype(0), "unary_float", [&] { run_op<scalar_t>(iter, op); });
}

PE_REGISTER_KERNEL(unary_float_stub, CPU, &unary_float_kernel);

}  // namespace
}  // namespace pe::cpu

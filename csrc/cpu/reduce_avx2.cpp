// AVX2 versions of the float/double sum and min/max folds (Note [Reduction driver]), picked at run time when the
// CPU has AVX2. The library is built without -march, so the generic loop is SSE2 with 32 lanes; here
// the same fold_rows runs with 64 lanes in 256-bit registers (8 independent accumulator chains),
// which matters when the data is in cache or the cores are shared.
#include "cpu/reduce_loop.h"
#include "cpu/reduce_ops.h"

namespace pe::cpu {
namespace {

constexpr int kWideLanes = 64;
#define PE_ARG(...) __VA_ARGS__

bool has_avx2() {
  static const bool yes = __builtin_cpu_supports("avx2");
  return yes;
}

// flatten inlines fold_rows here, so it is compiled for AVX2 too.
template <class Op>
__attribute__((target("avx2"), flatten)) typename Op::acc_t fold_avx2(const Op& op, const typename Op::in_t* p,
                                                                       int64_t b, int64_t e, int64_t k0) {
  using acc_t = typename Op::acc_t;
  const int64_t nv = (e - b) / kWideLanes;
  acc_t lanes[kWideLanes];
  LinearWalk walk(kWideLanes);
  walk.seek(0);
  fold_rows<kWideLanes>(op, p + b, kWideLanes, nv, walk, k0 + b, kWideLanes, 1, lanes);
  acc_t a = combine_lanes<Op, kWideLanes>(op, lanes);
  for (int64_t i = b + nv * kWideLanes; i < e; ++i) a = op.reduce(a, p[i], k0 + i);
  return a;
}

}  // namespace

#define PE_FOLD_SIMD(OP, T)                                                                         \
  bool fold_simd(const OP& op, const T* p, int64_t b, int64_t e, int64_t k0, typename OP::acc_t* out) { \
    if (!has_avx2()) return false;                                                                    \
    *out = fold_avx2(op, p, b, e, k0);                                                                \
    return true;                                                                                      \
  }
PE_FOLD_SIMD(SumOp<float>, float)
PE_FOLD_SIMD(SumOp<double>, double)
PE_FOLD_SIMD(PE_ARG(MinMaxOp<float, true>), float)
PE_FOLD_SIMD(PE_ARG(MinMaxOp<float, false>), float)
PE_FOLD_SIMD(PE_ARG(MinMaxOp<double, true>), double)
PE_FOLD_SIMD(PE_ARG(MinMaxOp<double, false>), double)
#undef PE_FOLD_SIMD

}  // namespace pe::cpu

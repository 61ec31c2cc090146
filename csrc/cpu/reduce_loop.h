// The CPU reduction driver: runs a reduction functor over a ReduceGeom (core/reduce_iter.h).
//
// Note [Reduction driver]
// A functor (see cpu/reduce_ops.h) says how to fold one element into an accumulator
// (reduce(acc, x, k), k = the element's index inside the reduction), how to merge two partial
// accumulators (combine) and how to write the result (store). The driver never assumes the fold is
// commutative in the index: arg-reductions compare indices explicitly in combine.
// Accuracy and speed come from one loop, fold_rows: a block of W independent accumulators (one per
// lane of a contiguous run, or one per output column) takes kGroupRows rows, then enters a
// binary-counter tree of partials (pairwise summation above the block). The W-wide inner loop has
// no dependence between lanes, so the compiler vectorizes it; a float32 sum of 1e7 elements keeps a
// rounding error of ~log2(n) ulps instead of the ~n of a running sum.
// Threads: many outputs -> split the outputs; few long ones -> split each reduction into chunks that
// threads take dynamically, and combine the chunks' partials in chunk order (OpenMP, passive wait,
// nothing below kGrainSize elements).
#pragma once
#include <omp.h>

#include <algorithm>
#include <memory>

#include "core/reduce_iter.h"
#include "cpu/parallel.h"

namespace pe::cpu {

constexpr int kLanes = 32;
constexpr int64_t kGroupRows = 128;
constexpr int kMaxLevels = 48;

// A row-major walk over up to kMaxReduceDims dims (outermost first) with one or two element-stride
// sets: off[0] is the input offset, off[1] the output offset.
struct DimsWalk {
  int nd = 0;
  const int64_t* sizes = nullptr;
  const int64_t* st[2] = {nullptr, nullptr};
  int64_t idx[kMaxReduceDims] = {};
  int64_t off[2] = {0, 0};
  DimsWalk(const DimVector& s, const DimVector& a, const DimVector* b = nullptr)
      : nd((int)s.size()), sizes(s.data()) {
    st[0] = a.data();
    st[1] = b ? b->data() : a.data();
  }
  void seek(int64_t r) {
    off[0] = off[1] = 0;
    for (int d = nd - 1; d >= 0; --d) {
      idx[d] = r % sizes[d];
      r /= sizes[d];
      off[0] += idx[d] * st[0][d];
      off[1] += idx[d] * st[1][d];
    }
  }
  int64_t offset() const { return off[0]; }
  void next() {
    for (int d = nd - 1; d >= 0; --d) {
      off[0] += st[0][d];
      off[1] += st[1][d];
      if (++idx[d] < sizes[d]) return;
      off[0] -= idx[d] * st[0][d];
      off[1] -= idx[d] * st[1][d];
      idx[d] = 0;
    }
  }
};

struct LinearWalk {
  int64_t step, off = 0;
  explicit LinearWalk(int64_t s) : step(s) {}
  void seek(int64_t r) { off = r * step; }
  int64_t offset() const { return off; }
  void next() { off += step; }
};

// result[c] = the fold of element c of rows [0, nrows) (row r at base + walk's offset; the walk
// must already be at the first row). Element (r, c) has reduction index k0 + r * kr + c * kc.
// W > 0: fixed width W, accumulators in registers. W == 0: any width w, accumulators in `scratch`
// (fold_scratch_size(nrows, w) elements).
inline int fold_levels(int64_t nrows) {
  int64_t groups = (nrows + kGroupRows - 1) / kGroupRows;
  int l = 1;
  while (groups >>= 1) ++l;
  return l;
}
inline int64_t fold_scratch_size(int64_t nrows, int64_t w) { return (fold_levels(nrows) + 1) * w; }

template <int W, class Op, class Walk>
void fold_rows(const Op& op, const typename Op::in_t* base, int64_t w, int64_t nrows, Walk& walk, int64_t k0,
               int64_t kr, int64_t kc, typename Op::acc_t* result, typename Op::acc_t* scratch = nullptr) {
  using acc_t = typename Op::acc_t;
  using in_t = typename Op::in_t;
  constexpr int64_t SW = W > 0 ? W : 1;
  const int64_t width = W > 0 ? W : w;
  const acc_t id = op.identity();
  acc_t fixed_levels[W > 0 ? kMaxLevels : 1][SW];
  acc_t fixed_tmp[SW];
  acc_t* __restrict tmp = W > 0 ? fixed_tmp : scratch;
  auto level = [&](int l) -> acc_t* { return W > 0 ? fixed_levels[l] : scratch + (l + 1) * w; };
  uint64_t occupied = 0;  // bit l: level l holds a partial of 2^l groups
  int64_t r = 0;
  while (r < nrows) {
    for (int64_t c = 0; c < width; ++c) tmp[c] = id;
    const int64_t g = std::min(kGroupRows, nrows - r);
    for (int64_t i = 0; i < g; ++i, ++r) {
      const in_t* __restrict p = base + walk.offset();
      walk.next();
      const int64_t kb = k0 + r * kr;
      for (int64_t c = 0; c < width; ++c) tmp[c] = op.reduce(tmp[c], p[c], kb + c * kc);
    }
    int l = 0;
    for (; (occupied >> l) & 1; ++l) {
      const acc_t* lv = level(l);
      for (int64_t c = 0; c < width; ++c) tmp[c] = op.combine(lv[c], tmp[c]);
      occupied &= ~(uint64_t(1) << l);
    }
    acc_t* lv = level(l);
    for (int64_t c = 0; c < width; ++c) lv[c] = tmp[c];
    occupied |= uint64_t(1) << l;
  }
  for (int64_t c = 0; c < width; ++c) result[c] = id;
  for (int l = kMaxLevels - 1; l >= 0; --l) {
    if (!((occupied >> l) & 1)) continue;
    const acc_t* lv = level(l);
    for (int64_t c = 0; c < width; ++c) result[c] = op.combine(result[c], lv[c]);
  }
}

// Folds of contiguous elements [b, e) with a wider instruction set, chosen at run time: this
// generic one declines; cpu/reduce_avx2.cpp overloads it for float/double sum and min/max (found by
// ADL at instantiation, declared in cpu/reduce_ops.h).
template <class Op>
bool fold_simd(const Op&, const typename Op::in_t*, int64_t, int64_t, int64_t, typename Op::acc_t*) {
  return false;
}

// The fold of L lanes after fold_rows, pairwise.
template <class Op, int L>
typename Op::acc_t combine_lanes(const Op& op, typename Op::acc_t* lanes) {
  for (int s = L / 2; s >= 1; s /= 2)
    for (int i = 0; i < s; ++i) lanes[i] = op.combine(lanes[i], lanes[i + s]);
  return lanes[0];
}

// The fold of the contiguous elements p[v0 * kLanes, v1 * kLanes) (vectors [v0, v1) of kLanes).
template <class Op>
typename Op::acc_t fold_vectors(const Op& op, const typename Op::in_t* p, int64_t v0, int64_t v1, int64_t k0) {
  using acc_t = typename Op::acc_t;
  acc_t lanes[kLanes];
  if (fold_simd(op, p, v0 * kLanes, v1 * kLanes, k0, lanes)) return lanes[0];
  LinearWalk walk(kLanes);
  walk.seek(v0);
  fold_rows<kLanes>(op, p, kLanes, v1 - v0, walk, k0 + v0 * kLanes, kLanes, 1, lanes);
  return combine_lanes<Op, kLanes>(op, lanes);
}

// The fold of a contiguous run of n elements (indices k0 ..); split across threads when parallel.
template <class Op>
typename Op::acc_t fold_run(const Op& op, const typename Op::in_t* p, int64_t n, int64_t k0, bool parallel) {
  using acc_t = typename Op::acc_t;
  if (n < kLanes) {
    acc_t a = op.identity();
    for (int64_t i = 0; i < n; ++i) a = op.reduce(a, p[i], k0 + i);
    return a;
  }
  const int64_t nv = n / kLanes;
  acc_t a;
  const int nt = parallel ? (int)std::min<int64_t>(get_num_threads(), nv * kLanes / kGrainSize) : 1;
  if (nt <= 1 || omp_in_parallel()) {
    a = fold_vectors(op, p, 0, nv, k0);
  } else {
    // Chunks handed out dynamically (a thread slowed by another process does less of the work),
    // each folded the same way whichever thread takes it and combined in order: the result does
    // not depend on the scheduling.
    const int64_t nchunks = std::min<int64_t>(8 * nt, std::max<int64_t>(1, nv * kLanes / (8 * kGrainSize)));
    const int64_t per = (nv + nchunks - 1) / nchunks;
    std::unique_ptr<acc_t[]> part(new acc_t[nchunks]);
    for (int64_t c = 0; c < nchunks; ++c) part[c] = op.identity();
#pragma omp parallel for num_threads(nt) schedule(dynamic, 1)
    for (int64_t c = 0; c < nchunks; ++c) {
      const int64_t b = std::min(nv, c * per), e = std::min(nv, b + per);
      if (b < e) part[c] = fold_vectors(op, p, b, e, k0);
    }
    a = part[0];
    for (int64_t c = 1; c < nchunks; ++c) a = op.combine(a, part[c]);
  }
  for (int64_t i = nv * kLanes; i < n; ++i) a = op.reduce(a, p[i], k0 + i);
  return a;
}

// f(b, e) over [0, n) in chunks of at least `grain` that threads take dynamically: unlike a static
// split, a thread slowed by another process on its core does not hold the others up.
template <class F>
void parallel_chunks(int64_t n, int64_t grain, const F& f) {
  const int T = get_num_threads();
  if (n <= grain || T <= 1 || omp_in_parallel()) {
    f(int64_t(0), n);
    return;
  }
  const int64_t nchunks = std::min<int64_t>((n + grain - 1) / grain, 8 * T);
  const int64_t per = (n + nchunks - 1) / nchunks;
  const int nt = (int)std::min<int64_t>(T, nchunks);
#pragma omp parallel for num_threads(nt) schedule(dynamic, 1)
  for (int64_t c = 0; c < nchunks; ++c) {
    const int64_t b = c * per, e = std::min(n, b + per);
    if (b < e) f(b, e);
  }
}

// Calls f(in_off, out_off, parallel) for every output of an Inner geometry (row of reduce_size
// contiguous elements at in_off): across threads when there are many rows, else one row at a time
// with parallel = true (f may then split the row across threads).
template <class RowFn>
void for_each_row(const ReduceGeom& g, const RowFn& f) {
  const int64_t M = g.num_outputs, N = g.reduce_size;
  if (M == 1 || (M < get_num_threads() && N >= 2 * kGrainSize)) {
    DimsWalk kw(g.kept_sizes, g.kept_in_strides, &g.kept_out_strides);
    kw.seek(0);
    for (int64_t j = 0; j < M; ++j, kw.next()) f(kw.off[0], kw.off[1], true);
    return;
  }
  parallel_chunks(M, std::max<int64_t>(1, kGrainSize / N), [&](int64_t b, int64_t e) {
    DimsWalk kw(g.kept_sizes, g.kept_in_strides, &g.kept_out_strides);
    kw.seek(b);
    for (int64_t j = b; j < e; ++j, kw.next()) f(kw.off[0], kw.off[1], false);
  });
}

template <class Op>
void reduce_inner(const ReduceGeom& g, const typename Op::in_t* in, const Op& op) {
  for_each_row(g, [&](int64_t in_off, int64_t out_off, bool parallel) {
    op.store(out_off, fold_run(op, in + in_off, g.reduce_size, 0, parallel));
  });
}

// Scratch memory of accumulators (a std::vector<bool> would have no data()).
template <class T>
struct AccBuffer {
  std::unique_ptr<T[]> p;
  int64_t n = 0;
  T* get(int64_t m) {
    if (m > n) {
      p.reset(new T[m]);
      n = m;
    }
    return p.get();
  }
};

// Outer geometries fold blocks of up to kOuterCols columns: each row of a block is one contiguous
// read, and the block's accumulators stay in L1.
constexpr int64_t kOuterCols = 1024;

template <class Op>
void fold_columns(const ReduceGeom& g, const typename Op::in_t* base, int64_t w, int64_t r0, int64_t r1,
                  const Op& op, typename Op::acc_t* res, AccBuffer<typename Op::acc_t>& scratch) {
  DimsWalk rows(g.red_sizes, g.red_strides);
  rows.seek(r0);
  fold_rows<0>(op, base, w, r1 - r0, rows, r0, 1, 0, res, scratch.get(fold_scratch_size(r1 - r0, w)));
}

template <class Op>
void reduce_outer(const ReduceGeom& g, const typename Op::in_t* in, const Op& op) {
  using acc_t = typename Op::acc_t;
  const int64_t cols = g.cols, N = g.reduce_size;
  const int64_t nblocks = (cols + kOuterCols - 1) / kOuterCols;
  const int64_t tasks = (g.num_outputs / cols) * nblocks;
  const int T = get_num_threads();
  auto task_origin = [&](int64_t task, int64_t& in_off, int64_t& out_off, int64_t& c0) {
    DimsWalk kw(g.kept_sizes, g.kept_in_strides, &g.kept_out_strides);
    kw.seek(task / nblocks);
    c0 = (task % nblocks) * kOuterCols;
    in_off = kw.off[0] + c0;
    out_off = kw.off[1] + c0 * g.col_out_stride;
  };
  if (tasks >= T || N * cols < 2 * kGrainSize || T <= 1 || omp_in_parallel()) {
    const int64_t per_task = N * std::min(cols, kOuterCols);
    parallel_chunks(tasks, std::max<int64_t>(1, kGrainSize / per_task), [&](int64_t b, int64_t e) {
      AccBuffer<acc_t> res_buf, scratch;
      acc_t* res = res_buf.get(std::min(cols, kOuterCols));
      for (int64_t task = b; task < e; ++task) {
        int64_t in_off, out_off, c0;
        task_origin(task, in_off, out_off, c0);
        const int64_t w = std::min(kOuterCols, cols - c0);
        fold_columns(g, in + in_off, w, 0, N, op, res, scratch);
        for (int64_t c = 0; c < w; ++c) op.store(out_off + c * g.col_out_stride, res[c]);
      }
    });
    return;
  }
  // Few column blocks: split the rows of each into chunks that the threads take dynamically, then
  // combine the chunks' partials in order (the result does not depend on the scheduling).
  const int64_t bw = std::min(cols, kOuterCols);
  const int64_t nchunks = std::min<int64_t>(8 * T, std::max<int64_t>(1, N * bw / (8 * kGrainSize)));
  const int64_t per = (N + nchunks - 1) / nchunks;
  AccBuffer<acc_t> part_buf;
  acc_t* part = part_buf.get(nchunks * bw);
  for (int64_t task = 0; task < tasks; ++task) {
    int64_t in_off, out_off, c0;
    task_origin(task, in_off, out_off, c0);
    const int64_t w = std::min(kOuterCols, cols - c0);
    std::fill(part, part + nchunks * bw, op.identity());
#pragma omp parallel num_threads(T)
    {
      AccBuffer<acc_t> scratch;
#pragma omp for schedule(dynamic, 1)
      for (int64_t c = 0; c < nchunks; ++c) {
        const int64_t b = std::min(N, c * per), e = std::min(N, b + per);
        if (b < e) fold_columns(g, in + in_off, w, b, e, op, part + c * bw, scratch);
      }
    }
    for (int64_t c = 0; c < w; ++c) {
      acc_t a = part[c];
      for (int64_t k = 1; k < nchunks; ++k) a = op.combine(a, part[k * bw + c]);
      op.store(out_off + c * g.col_out_stride, a);
    }
  }
}

// Runs op over the geometry (Inner or Outer); `in` points at the input's first element.
template <class Op>
void run_reduce(const ReduceGeom& g, const typename Op::in_t* in, const Op& op) {
  if (g.kind == ReduceGeom::Kind::Inner) reduce_inner(g, in, op);
  else reduce_outer(g, in, op);
}

}  // namespace pe::cpu

// Row iteration for the kernels that work along one dim (sort, gather/scatter): the "rows" are all
// positions of the other dims, visited in row-major order with each operand's byte offset kept up
// to date incrementally. Operands share the outer shape but each keeps its own strides, so no
// operand needs to be contiguous.
#pragma once
#include <array>
#include <vector>

#include "core/tensor.h"

namespace pe::cpu {

template <int N>
struct RowGeometry {
  DimVector outer;                                 // sizes of the dims other than `dim`
  std::vector<std::array<int64_t, N>> strides;     // byte strides along those dims, per operand
  std::array<int64_t, N> inner{};                  // byte strides along `dim`, per operand
  std::array<char*, N> data{};
  int64_t rows = 1;
  int64_t n = 0;                                   // length of a row (size of `shape` along dim)

  // `shape` gives the outer sizes and the row length; operands must have at least that extent.
  RowGeometry(const DimVector& shape, int64_t dim, const std::array<const Tensor*, N>& ops) {
    int64_t nd = (int64_t)shape.size();
    for (int64_t d = 0; d < nd; ++d) {
      std::array<int64_t, N> st{};
      for (int k = 0; k < N; ++k)
        if (ops[k]) st[k] = ops[k]->dim() == 0 ? 0 : ops[k]->strides()[d] * (*ops[k])->itemsize();
      if (d == dim) {
        inner = st;
        n = shape[d];
      } else {
        outer.push_back(shape[d]);
        strides.push_back(st);
        rows *= shape[d];
      }
    }
    if (nd == 0) n = 1;
    for (int k = 0; k < N; ++k) data[k] = ops[k] ? static_cast<char*>(ops[k]->raw_data()) : nullptr;
  }

  // f(ptrs) for rows [begin, end); ptrs[k] points at element 0 of the row in operand k.
  template <class F>
  void for_rows(int64_t begin, int64_t end, const F& f) const {
    if (begin >= end) return;
    const int64_t nd = (int64_t)outer.size();
    std::vector<int64_t> idx(nd, 0);
    std::array<char*, N> ptr = data;
    int64_t rem = begin;
    for (int64_t d = nd - 1; d >= 0; --d) {
      idx[d] = rem % outer[d];
      rem /= outer[d];
      for (int k = 0; k < N; ++k) ptr[k] += idx[d] * strides[d][k];
    }
    for (int64_t r = begin; r < end; ++r) {
      f(ptr);
      for (int64_t d = nd - 1; d >= 0; --d) {  // advance the multi-index, innermost last dim first
        for (int k = 0; k < N; ++k) ptr[k] += strides[d][k];
        if (++idx[d] < outer[d]) break;
        for (int k = 0; k < N; ++k) ptr[k] -= idx[d] * strides[d][k];
        idx[d] = 0;
      }
    }
  }
};

}  // namespace pe::cpu

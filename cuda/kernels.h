// The host entry points of the CUDA kernels, with the signatures of the stubs in ops/stubs.h.
// register.cpp installs them; nothing else should call them directly (go through the stubs).
#pragma once
#include <cstdint>

#include "core/tensor.h"
#include "core/tensor_iter.h"
#include "ops/stubs.h"

namespace pe::cuda {

void copy_kernel(const Tensor& dst, const Tensor& src);  // copy.cu
void fill_kernel(const Tensor& dst, const Scalar& value);  // fill.cu
void uniform_kernel(const Tensor& dst, double from, double to, uint64_t seed, uint64_t first_block);  // random.cu
void normal_kernel(const Tensor& dst, double mean, double std, uint64_t seed, uint64_t first_block);  // random.cu
void arange_kernel(const Tensor& dst, const Scalar& start, const Scalar& step);  // arange.cu

void binary_kernel(const TensorIter& iter, BinaryOp op, const Scalar& alpha);  // binary.cu
void unary_kernel(const TensorIter& iter, UnaryOp op);                          // unary.cu
void index_kernel(const TensorIter& iter);                                      // index.cu
void index_put_kernel(const TensorIter& iter, bool accumulate);                 // index.cu

}  // namespace pe::cuda

// The host entry points of the CUDA kernels, with the signatures of the stubs in ops/stubs.h.
// register.cpp installs them; nothing else should call them directly (go through the stubs).
#pragma once
#include <cstdint>

#include "core/tensor.h"

namespace pe::cuda {

void copy_kernel(const Tensor& dst, const Tensor& src);  // copy.cu
void fill_kernel(const Tensor& dst, const Scalar& value);  // fill.cu
void uniform_kernel(const Tensor& dst, double from, double to, uint64_t seed, uint64_t first_block);  // random.cu
void normal_kernel(const Tensor& dst, double mean, double std, uint64_t seed, uint64_t first_block);  // random.cu
void arange_kernel(const Tensor& dst, const Scalar& start, const Scalar& step);  // arange.cu

}  // namespace pe::cuda

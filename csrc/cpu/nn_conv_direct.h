// Direct stride-1 conv2d kernels for few-channel convolutions (see Note [Direct convolution] in
// cpu/nn_conv_direct.cpp); cpu/nn_conv_kernel.cpp uses them when direct_conv_fits and falls back to
// im2col + GEMM otherwise. Tensors are contiguous, layouts as in ops/nn_stubs.h.
#pragma once
#include <cstdint>

#include "ops/nn_stubs.h"

namespace pe::cpu {

bool direct_conv_fits(const Conv2dGeom& g);
// Also needs padding <= dilation * (kernel - 1), so grad_output's padding is non-negative.
bool direct_conv_backward_input_fits(const Conv2dGeom& g);

template <class T>
void direct_conv_forward(const Conv2dGeom& g, T* out, const T* x, const T* w, const T* bias);
template <class T>
void direct_conv_backward_input(const Conv2dGeom& g, T* grad_input, const T* grad_output, const T* w);
// false (nothing written) when the input holds inf/nan: the caller then uses im2col.
template <class T>
bool direct_conv_backward_weight(const Conv2dGeom& g, T* grad_weight, const T* grad_output, const T* x);

}  // namespace pe::cpu

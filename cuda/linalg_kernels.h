// The host entry points of the CUDA decomposition kernels, with the signatures of the stubs in
// ops/linalg_decomp_stubs.h (cholesky, triangular solve, geqrf, orgqr, eigh) and ops/linalg_stubs.h
// (svd), whose contracts they follow. register_nn.cpp installs them; nothing else should call them
// directly (go through the stubs). The LU kernels are in nn_kernels.h (linalg_lu.cu).
#pragma once
#include "core/tensor.h"
#include "ops/linalg_decomp_stubs.h"
#include "ops/linalg_stubs.h"

namespace pe::cuda {

// linalg_factor.cu
void cholesky_kernel(const Tensor& a, const Tensor& info);
void triangular_solve_kernel(const Tensor& a, const Tensor& rhs, bool upper, bool unitriangular);
void geqrf_kernel(const Tensor& a, const Tensor& tau);
void orgqr_kernel(const Tensor& a, const Tensor& tau);

// linalg_eig.cu
void eigh_kernel(const Tensor& a, const Tensor& w, const Tensor& v);
void svd_kernel(const Tensor& a, const Tensor& u, const Tensor& s, const Tensor& vh);

}  // namespace pe::cuda

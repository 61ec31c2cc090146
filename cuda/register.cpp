// Wires the CUDA part into the core's tables (see register.h). Touches no CUDA API itself, so it
// cannot fail on a machine without a GPU.
#include "cuda/register.h"

#include "cuda/allocator.h"
#include "cuda/device.h"
#include "cuda/host_allocator.h"
#include "cuda/kernels.h"
#include "cuda/nn_kernels.h"
#include "cuda/optim_fused.h"
#include "ops/elementwise_stubs.h"
#include "ops/linalg_stubs.h"
#include "ops/nn_stubs.h"
#include "ops/reduce_stubs.h"
#include "ops/select_stubs.h"
#include "ops/stubs.h"

namespace pe::cuda {

void register_cuda() {
  copy_stub.set(DeviceType::CUDA, &copy_kernel);
  fill_stub.set(DeviceType::CUDA, &fill_kernel);
  uniform_stub.set(DeviceType::CUDA, &uniform_kernel);
  normal_stub.set(DeviceType::CUDA, &normal_kernel);
  arange_stub.set(DeviceType::CUDA, &arange_kernel);
  binary_math_stub.set(DeviceType::CUDA, &binary_math_kernel);
  add_alpha_stub.set(DeviceType::CUDA, &add_alpha_kernel);
  unary_misc_stub.set(DeviceType::CUDA, &unary_misc_kernel);
  index_stub.set(DeviceType::CUDA, &index_kernel);
  index_put_stub.set(DeviceType::CUDA, &index_put_kernel);
  index_bounds_stub.set(DeviceType::CUDA, &index_bounds_kernel);
  index_offsets_stub.set(DeviceType::CUDA, &index_offsets_kernel);
  nonzero_stub.set(DeviceType::CUDA, &nonzero_kernel);
  randperm_stub.set(DeviceType::CUDA, &randperm_kernel);
  scatter_gather_stub.set(DeviceType::CUDA, &scatter_gather_kernel);
  mean_div_stub.set(DeviceType::CUDA, &mean_div_kernel);
  masked_fill_stub.set(DeviceType::CUDA, &masked_fill_kernel);
  count_true_stub.set(DeviceType::CUDA, &count_true_kernel);
  masked_select_stub.set(DeviceType::CUDA, &masked_select_kernel);
  tri_stub.set(DeviceType::CUDA, &tri_kernel);
  dropout_stub.set(DeviceType::CUDA, &dropout_kernel);
  bernoulli_stub.set(DeviceType::CUDA, &bernoulli_kernel);
  unary_float_stub.set(DeviceType::CUDA, &unary_float_kernel);
  round_decimals_stub.set(DeviceType::CUDA, &round_decimals_kernel);
  nan_to_num_stub.set(DeviceType::CUDA, &nan_to_num_kernel);
  predicate_stub.set(DeviceType::CUDA, &predicate_kernel);
  compare_stub.set(DeviceType::CUDA, &compare_kernel);
  ternary_stub.set(DeviceType::CUDA, &ternary_kernel);
  sum_stub.set(DeviceType::CUDA, &sum_kernel);
  minmax_stub.set(DeviceType::CUDA, &minmax_kernel);
  logical_stub.set(DeviceType::CUDA, &logical_kernel);
  arg_reduce_stub.set(DeviceType::CUDA, &arg_reduce_kernel);
  var_stub.set(DeviceType::CUDA, &var_kernel);
  norm_stub.set(DeviceType::CUDA, &norm_kernel);
  logsumexp_stub.set(DeviceType::CUDA, &logsumexp_kernel);
  scan_stub.set(DeviceType::CUDA, &scan_kernel);
  sort_reduce_stub.set(DeviceType::CUDA, &sort_reduce_kernel);
  sort_stub.set(DeviceType::CUDA, &sort_kernel);
  special_unary_stub.set(DeviceType::CUDA, &special_unary_kernel);
  special_binary_stub.set(DeviceType::CUDA, &special_binary_kernel);
  frexp_stub.set(DeviceType::CUDA, &frexp_kernel);
  isclose_stub.set(DeviceType::CUDA, &isclose_kernel);
  equal_stub.set(DeviceType::CUDA, &equal_kernel);
  trace_stub.set(DeviceType::CUDA, &trace_kernel);
  cross_stub.set(DeviceType::CUDA, &cross_kernel);
  register_nn();  // GEMM and the nn kernels (register_nn.cpp)
  register_optim();

  set_allocator(DeviceType::CUDA, cuda_allocator());
  set_cuda_copy_bytes(&copy_bytes);

  CudaHooks& h = cuda_hooks();
  h.device_count = &device_count;
  h.set_device = &set_device;
  h.current_device = &current_device;
  h.synchronize = &synchronize;
  h.empty_cache = &empty_cache;
  h.memory_allocated = &memory_allocated;
  h.memory_reserved = &memory_reserved;
  h.device_name = &device_name;
  h.pinned_allocator = pinned_host_allocator();
  h.is_pinned = &is_pinned;
}

}  // namespace pe::cuda

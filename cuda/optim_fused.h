// Installs the multi-tensor optimizer kernels (optim_fused.cu) into ops/optim_fused.h's stubs.
#pragma once

namespace pe::cuda {

void register_optim();

}  // namespace pe::cuda

// Force-included (-include) before every cuda/*.cu in the PYENGINE_CUDA=EMULATE build, as nvcc
// implicitly includes the real cuda_runtime.h: the runtime API and the kernel language of the emulator.
#pragma once
#include "cuda_runtime.h"

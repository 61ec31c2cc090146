"""pyengine: a PyTorch-compatible tensor engine (C++ core, CUDA kernels). ``import pyengine as torch``."""
from __future__ import annotations

import os as _os

# Spinning OpenMP barriers make 2-thread work 35-300x slower when another process holds a core
# (measured here): ask for a passive wait policy before the OpenMP runtime starts.
_os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from . import _C  # noqa: E402
from ._C import (  # noqa: E402,F401
    Tensor, arange, device, dtype, eye, from_numpy, full, get_default_dtype, get_num_threads,
    linspace, promote_types, rand, randint, randn, randperm, set_num_threads, Generator, default_generator,
    bfloat16, float16, float32, float64, int8, int16, int32, int64, uint8, ones, zeros,
    complex64, complex128, cfloat, cdouble,
)
from ._size import Size  # noqa: E402
from . import random  # noqa: E402
from .random import fork_rng, get_rng_state, initial_seed, manual_seed, seed, set_rng_state  # noqa: E402,F401
from ._tensor import as_tensor, tensor  # noqa: E402,F401
from ._tensor import _make_legacy_type  # noqa: E402
from . import _tensor_copy  # noqa: E402,F401  (Tensor.__deepcopy__ / __reduce_ex__)
from ._tensor_predicates import is_complex, is_conj, is_neg  # noqa: E402,F401
from ._tensor_str import get_printoptions, set_printoptions  # noqa: E402,F401
from .storage import TypedStorage  # noqa: E402,F401
from . import cpu, cuda  # noqa: E402,F401
from .cuda import OutOfMemoryError  # noqa: E402,F401  (torch.OutOfMemoryError is torch.cuda.OutOfMemoryError)
from ._functions import (  # noqa: E402,F401
    empty, empty_like, full_like, is_tensor, normal, numel, ones_like, rand_like,
    randint_like, randn_like, set_default_dtype, zeros_like, is_floating_point, clone, reshape,
    transpose, t, squeeze, unsqueeze, flatten, narrow, split, chunk, permute, select, unbind, diagonal,
)
from ._layout import (layout, strided, sparse_coo, memory_format, contiguous_format,  # noqa: E402,F401
                      preserve_format, channels_last, channels_last_3d)
from ._ops_linalg import *  # noqa: F401,F403,E402
from ._ops_linalg_decomp import *  # noqa: F401,F403,E402
from ._ops_select import *  # noqa: F401,F403,E402
from ._ops_nn import *  # noqa: E402,F401,F403
from . import nn, optim  # noqa: E402,F401
from ._ops_reduce import *  # noqa: E402,F401,F403
from ._ops_elementwise import *  # noqa: F401,F403,E402
from ._ops_more import *  # noqa: F401,F403,E402
from ._ops_stats import *  # noqa: F401,F403,E402
from ._ops_scatter_views import *  # noqa: F401,F403,E402
from ._ops_factories import *  # noqa: F401,F403,E402
from ._ops_distance import *  # noqa: F401,F403,E402
from ._ops_indices import *  # noqa: F401,F403,E402
from ._ops_real_complex_api import *  # noqa: F401,F403,E402
from ._ops_tensor_forms import *  # noqa: F401,F403,E402
from ._ops_aten_internals import *  # noqa: F401,F403,E402
from ._ops_namespace import ops  # noqa: F401,E402
from ._ops_lowrank import *  # noqa: F401,F403,E402
from ._runtime_flags import *  # noqa: F401,F403,E402
from . import masked, signal  # noqa: E402,F401
from .signal.windows.windows import (bartlett_window, blackman_window, hamming_window, hann_window,  # noqa: E402,F401
                                     kaiser_window)
from ._ops_random import multinomial  # noqa: F401,E402
from ._ops_special import *  # noqa: F401,F403,E402
from . import special  # noqa: E402,F401
from . import fft  # noqa: E402,F401
from ._ops_spectral import istft, stft  # noqa: E402,F401
from . import utils  # noqa: E402,F401  (torch.utils.data is reachable after `import torch`)
from . import autograd  # noqa: E402,F401
from . import distributed, multiprocessing  # noqa: E402,F401
from .autograd.grad_mode import (enable_grad, inference_mode, is_grad_enabled,  # noqa: E402,F401
                                 is_inference_mode_enabled, no_grad, set_grad_enabled)
from .serialization import save, load  # noqa: F401,E402
from . import accelerator, backends, compiler, func, hub, profiler  # noqa: E402,F401
from . import distributions  # noqa: E402,F401
from .func import vmap  # noqa: E402,F401
from ._compile import compile  # noqa: E402,F401
from ._default_device import get_default_device, set_default_device  # noqa: E402,F401
from .backends._precision import get_float32_matmul_precision, set_float32_matmul_precision  # noqa: E402,F401
from . import amp, onnx  # noqa: E402,F401
from .amp.autocast_mode import (autocast, get_autocast_dtype, is_autocast_enabled, set_autocast_dtype,  # noqa: E402,F401
                                set_autocast_enabled)
from .amp import _device_amp  # noqa: E402

_device_amp.install()  # torch.cuda.amp / torch.cpu.amp

_C._set_size_class(Size)

FloatTensor = _make_legacy_type("FloatTensor", float32)
DoubleTensor = _make_legacy_type("DoubleTensor", float64)
HalfTensor = _make_legacy_type("HalfTensor", float16)
BFloat16Tensor = _make_legacy_type("BFloat16Tensor", bfloat16)
ByteTensor = _make_legacy_type("ByteTensor", uint8)
CharTensor = _make_legacy_type("CharTensor", int8)
ShortTensor = _make_legacy_type("ShortTensor", int16)
IntTensor = _make_legacy_type("IntTensor", int32)
LongTensor = _make_legacy_type("LongTensor", int64)
BoolTensor = _make_legacy_type("BoolTensor", _C.bool)

__version__ = "0.1.0"

# The dtype aliases shadow builtins inside this module, so they are bound last.
globals().update({
    "bool": _C.bool, "float": float32, "double": float64, "half": float16, "int": int32,
    "long": int64, "short": int16,
})

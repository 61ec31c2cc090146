"""Gathers the spatial layers (padding, upsampling, fold/unfold, the pools beyond 2-D) and the remaining losses
for pyengine.nn.modules, one import there."""
from .padding import *  # noqa: F401,F403
from .padding import __all__ as _padding_all
from .pooling_more import *  # noqa: F401,F403
from .pooling_more import __all__ as _pooling_all
from .upsampling import *  # noqa: F401,F403
from .upsampling import __all__ as _upsampling_all

from .loss_seq import *  # noqa: F401,F403
from .loss_seq import __all__ as _loss_all

__all__ = list(_padding_all) + list(_pooling_all) + list(_upsampling_all) + list(_loss_all)

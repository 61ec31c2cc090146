"""Gathers the spatial functional ops (convolutions, padding, interpolation, sampling, pooling) and the
remaining losses for pyengine.nn.functional, one import there."""
from ._functional_conv import *  # noqa: F401,F403
from ._functional_conv import __all__ as _conv_all
from ._functional_pool import *  # noqa: F401,F403
from ._functional_pool import __all__ as _pool_all
from ._functional_sample import *  # noqa: F401,F403
from ._functional_sample import __all__ as _sample_all

from ._functional_loss_seq import *  # noqa: F401,F403
from ._functional_loss_seq import __all__ as _loss_all

__all__ = list(_conv_all) + list(_pool_all) + list(_sample_all) + list(_loss_all)

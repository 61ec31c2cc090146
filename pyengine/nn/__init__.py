"""pyengine.nn: Module, Parameter, the layers, losses and containers, init, functional, utils, DataParallel."""
from . import functional  # noqa: F401
from . import common_types, init  # noqa: F401
from .modules import *  # noqa: F401,F403
from .modules import __all__ as _modules_all
from .parameter import Buffer, Parameter, UninitializedBuffer, UninitializedParameter  # noqa: F401
from .parallel import DataParallel  # noqa: F401
from . import utils  # noqa: F401

__all__ = list(_modules_all) + ["Buffer", "Parameter", "UninitializedBuffer", "UninitializedParameter",
                               "DataParallel", "functional", "init", "utils"]

"""torch.utils.tensorboard: SummaryWriter writing real TensorBoard event files through the ``tensorboard``
package (an optional dependency: ``pip install tensorboard`` or ``pip install pyengine[tensorboard]``)."""
try:
    import tensorboard  # noqa: F401
except ImportError as e:  # the message PyTorch gives
    raise ImportError("TensorBoard logging requires TensorBoard version 1.15 or above") from e

from .writer import FileWriter, SummaryWriter  # noqa: E402,F401

__all__ = ["FileWriter", "SummaryWriter"]

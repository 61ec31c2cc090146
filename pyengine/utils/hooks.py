"""torch.utils.hooks: RemovableHandle, the handle every ``register_*_hook`` returns (one class engine-wide)."""
from ..nn.modules._hooks import RemovableHandle

__all__ = ["RemovableHandle"]

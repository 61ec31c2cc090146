"""torch.nn.modules.channelshuffle: PyTorch's home of ChannelShuffle (defined in shape_more.py),
so code and pickles that name them by this path (e.g. a weights_only safe_globals list) find them."""
from .shape_more import ChannelShuffle  # noqa: F401

__all__ = ["ChannelShuffle"]

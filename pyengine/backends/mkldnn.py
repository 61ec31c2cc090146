"""torch.backends.mkldnn (oneDNN): pyengine does not use it; ``enabled`` is kept as a flag."""
from __future__ import annotations

enabled: bool = True


def is_available() -> bool:
    return False

"""torch.nn.modules.distance: PyTorch's home of CosineSimilarity, PairwiseDistance (defined in shape_more.py),
so code and pickles that name them by this path (e.g. a weights_only safe_globals list) find them."""
from .shape_more import CosineSimilarity, PairwiseDistance  # noqa: F401

__all__ = ["CosineSimilarity", "PairwiseDistance"]

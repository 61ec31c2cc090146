"""The nn layer classes, one file per family (as torch/nn/modules)."""
from .module import Module  # noqa: F401
from . import utils  # noqa: F401  (torch.nn.modules.utils: _pair, consume_prefix_in_state_dict_if_present)
from .activation import GELU, LeakyReLU, LogSoftmax, ReLU, Sigmoid, Softmax, Tanh  # noqa: F401
from .container import ModuleDict, ModuleList, Sequential  # noqa: F401
from .container_params import ParameterDict, ParameterList  # noqa: F401
from .conv import Conv1d, Conv2d, Conv3d, ConvTranspose1d, ConvTranspose2d, ConvTranspose3d  # noqa: F401
from .dropout import Dropout  # noqa: F401
from .flatten import Flatten, Unflatten  # noqa: F401
from .linear import Bilinear, Identity, Linear  # noqa: F401
from .loss import (  # noqa: F401
    BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, L1Loss, MSELoss, NLLLoss, NLLLoss2d, SmoothL1Loss,
)
from .normalization import BatchNorm1d, BatchNorm2d, BatchNorm3d, LayerNorm  # noqa: F401
from .pooling import AdaptiveAvgPool2d, AvgPool2d, MaxPool2d  # noqa: F401
from .sparse import Embedding  # noqa: F401
from .activation_more import *  # noqa: F401,F403
from .activation_more import __all__ as _act_more
from .loss_more import *  # noqa: F401,F403
from .loss_more import __all__ as _loss_more
from .shape_more import *  # noqa: F401,F403
from .shape_more import __all__ as _shape_more
from .spatial import *  # noqa: F401,F403
from .spatial import __all__ as _spatial
from .attention import MultiheadAttention  # noqa: F401
from .embedding_bag import EmbeddingBag  # noqa: F401
from .transformer import (  # noqa: F401
    Transformer, TransformerDecoder, TransformerDecoderLayer, TransformerEncoder, TransformerEncoderLayer,
)
from .rnn import GRU, LSTM, RNN, GRUCell, LSTMCell, RNNBase, RNNCell, RNNCellBase  # noqa: F401

__all__ = [
    "Module", "GELU", "LeakyReLU", "LogSoftmax", "ReLU", "Sigmoid", "Softmax", "Tanh", "ModuleDict", "ModuleList",
    "Sequential", "ParameterDict", "ParameterList", "Conv1d", "Conv2d", "Conv3d", "ConvTranspose1d",
    "ConvTranspose2d", "ConvTranspose3d", "Dropout", "Flatten", "Unflatten", "Bilinear",
    "Identity", "Linear", "BCELoss", "BCEWithLogitsLoss", "CrossEntropyLoss", "L1Loss", "MSELoss", "NLLLoss", "NLLLoss2d",
    "SmoothL1Loss", "BatchNorm1d", "BatchNorm2d", "LayerNorm", "AdaptiveAvgPool2d", "AvgPool2d", "MaxPool2d",
    "Embedding", "RNNBase", "RNN", "LSTM", "GRU", "RNNCellBase", "RNNCell", "LSTMCell", "GRUCell",
    "MultiheadAttention", "EmbeddingBag", "Transformer", "TransformerEncoder", "TransformerDecoder",
    "TransformerEncoderLayer", "TransformerDecoderLayer",
]
from .lazy import *  # noqa: F401,F403,E402
from .lazy import __all__ as _lazy_all  # noqa: E402

from .sync_batchnorm import SyncBatchNorm  # noqa: E402,F401
from .adaptive import AdaptiveLogSoftmaxWithLoss  # noqa: E402,F401
from . import adaptive  # noqa: E402,F401

__all__ += _act_more + _loss_more + _shape_more + _spatial + ["BatchNorm3d", "SyncBatchNorm", "AdaptiveLogSoftmaxWithLoss"]
__all__ += [n for n in _lazy_all if n != "LazyModuleMixin"]


# PyTorch's module paths. torch/nn/modules has one file per family (activation, linear, loss, ...); ours splits
# some families over more files (activation_more, loss_more, pooling_more, ...). Programs and pickles name classes
# by PyTorch's path (word_language_model's weights_only safe_globals list holds
# torch.nn.modules.activation.MultiheadAttention and torch.nn.modules.linear.NonDynamicallyQuantizableLinear), so
# each PyTorch family file also holds the classes PyTorch defines there. The families PyTorch has and we had no
# file for (batchnorm, instancenorm, pixelshuffle, channelshuffle, distance, fold) are small re-export files.
from . import activation as _activation, container as _container, conv as _conv, dropout as _dropout  # noqa: E402
from . import linear as _linear, loss as _loss, normalization as _normalization  # noqa: E402
from . import pooling as _pooling, sparse as _sparse  # noqa: E402
from . import batchnorm, channelshuffle, distance, fold, instancenorm, pixelshuffle  # noqa: E402,F401
from .attention import NonDynamicallyQuantizableLinear  # noqa: E402
from .loss_seq import __all__ as _loss_seq  # noqa: E402
from .pooling_more import __all__ as _pooling_more  # noqa: E402

_TORCH_FAMILIES = {
    _activation: _act_more + ["MultiheadAttention"],
    _container: ["ParameterList", "ParameterDict"],
    _conv: ["LazyConv1d", "LazyConv2d", "LazyConv3d", "LazyConvTranspose1d", "LazyConvTranspose2d",
            "LazyConvTranspose3d"],
    _dropout: ["Dropout1d", "Dropout2d", "Dropout3d", "AlphaDropout", "FeatureAlphaDropout"],
    _linear: ["LazyLinear", "NonDynamicallyQuantizableLinear"],
    _loss: _loss_more + _loss_seq,
    _normalization: ["LocalResponseNorm", "CrossMapLRN2d", "GroupNorm", "RMSNorm"],
    _pooling: _pooling_more,
    _sparse: ["EmbeddingBag"],
}
for _module, _names in _TORCH_FAMILIES.items():
    for _name in _names:
        if not hasattr(_module, _name):
            setattr(_module, _name, globals()[_name])
del _module, _names, _name

"""pyengine.vision.models (torchvision.models): classification architectures with torchvision's module
structure and state_dict keys, so weights saved by torchvision load; pretrained weights come from the hub cache
or a download, as torchvision's (see _api.py)."""
from .alexnet import *  # noqa: F401,F403
from .densenet import *  # noqa: F401,F403
from .mobilenetv2 import *  # noqa: F401,F403
from .resnet import *  # noqa: F401,F403
from .squeezenet import *  # noqa: F401,F403
from .vgg import *  # noqa: F401,F403
from ._api import WeightsEnum  # noqa: F401

_BUILDERS = {name: obj for name, obj in list(globals().items())
             if callable(obj) and name[0].islower() and not name.startswith("_")}


def list_models(module=None, include=None, exclude=None) -> list[str]:
    """The model builder names (torchvision.models.list_models)."""
    import fnmatch
    names = sorted(_BUILDERS)
    if include:
        patterns = [include] if isinstance(include, str) else include
        names = [n for n in names if any(fnmatch.fnmatch(n, p) for p in patterns)]
    if exclude:
        patterns = [exclude] if isinstance(exclude, str) else exclude
        names = [n for n in names if not any(fnmatch.fnmatch(n, p) for p in patterns)]
    return names


def get_model(name: str, **config):
    """Builds a model by name: get_model('resnet18', weights=None, num_classes=10)."""
    name = name.lower()
    if name not in _BUILDERS:
        raise ValueError(f"Unknown model {name}")
    return _BUILDERS[name](**config)

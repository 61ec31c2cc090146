"""pyengine.nn: for now only the functional interface (the Module layer comes later)."""
from . import functional  # noqa: F401

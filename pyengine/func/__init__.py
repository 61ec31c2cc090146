"""torch.func: composable function transforms (vmap, grad, grad_and_value, vjp, jvp, jacrev, jacfwd, hessian,
functional_call) over pyengine's autograd; see _vmap.py and _eager_transforms.py for how each is computed."""
from ._eager_transforms import grad, grad_and_value, hessian, jacfwd, jacrev, jvp, vjp  # noqa: F401
from ._functional_call import functional_call  # noqa: F401
from ._vmap import vmap  # noqa: F401

__all__ = ["functional_call", "grad", "grad_and_value", "hessian", "jacfwd", "jacrev", "jvp", "vjp", "vmap"]

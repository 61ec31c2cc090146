"""pytest fixtures for the pyengine tests. Helpers live in pe_testing.py.

pyengine is imported lazily so that test_tensor_str.py (which loads the formatter from its file)
still runs when the compiled package is absent.
"""
import pytest

@pytest.fixture(autouse=True)
def _restore_default_dtype():
    """Every test leaves the default dtype as it found it."""
    try:
        import pyengine as pe
    except ImportError:  # pragma: no cover
        yield
        return
    dt = pe.get_default_dtype()
    yield
    pe.set_default_dtype(dt)


@pytest.fixture
def seeded():
    import pyengine as pe
    pe.manual_seed(1234)
    return 1234


@pytest.fixture(params=["cpu", "cuda"])
def device(request):
    """Runs a test on the CPU and, when one is available, on `cuda` (see pe_testing.DEVICES)."""
    import pyengine as pe
    if request.param == "cuda" and not pe.cuda.is_available():
        pytest.skip("CUDA not available")
    return request.param

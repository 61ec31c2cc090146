// pyengine._C: the module, and the translation of pe errors into the Python exceptions PyTorch
// raises for the same misuse.
#include "python/common.h"

#ifdef PE_WITH_CUDA
#include "cuda/register.h"
#endif

PYBIND11_MODULE(_C, m) {
  m.doc() = "pyengine C++ core";
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const pe::IndexError& e) {
      PyErr_SetString(PyExc_IndexError, e.what());
    } catch (const pe::TypeError& e) {
      PyErr_SetString(PyExc_TypeError, e.what());
    } catch (const pe::ValueError& e) {
      PyErr_SetString(PyExc_ValueError, e.what());
    } catch (const pe::NotImplementedError& e) {
      PyErr_SetString(PyExc_NotImplementedError, e.what());
    } catch (const pe::Error& e) {
      PyErr_SetString(PyExc_RuntimeError, e.what());
    } catch (const std::bad_alloc&) {
      PyErr_SetString(PyExc_RuntimeError, "out of memory (std::bad_alloc)");
    }
  });
#ifdef PE_WITH_CUDA
  pe::cuda::register_cuda();
#endif
  pe::python::bind_types(m);
  pe::python::bind_tensor(m);
  pe::python::bind_functions(m);
  pe::python::bind_cuda(m);
}

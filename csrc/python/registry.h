// Binding files register themselves: each csrc/python/*_bindings.cpp ends with
//   PE_PY_BINDINGS(bind_reductions);
// and the module runs every registered function at import (after the Tensor class exists), so a new
// op family never edits module.cpp or tensor.cpp.
#pragma once
#include "python/common.h"

namespace pe::python {

using TensorClass = py::class_<TensorImpl, TensorHolder>;
using BindFn = void (*)(py::module_& m, TensorClass& cls);

struct BindingRegistrar {
  explicit BindingRegistrar(BindFn fn);
};
void run_registered_bindings(py::module_& m, TensorClass& cls);

}  // namespace pe::python

#define PE_PY_BINDINGS(fn) static ::pe::python::BindingRegistrar PE_CONCAT(pe_py_bindings_, __LINE__)(fn)

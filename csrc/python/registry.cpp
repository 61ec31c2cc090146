// The list of self-registered binding functions (see registry.h).
#include "python/registry.h"

#include <vector>

namespace pe::python {

namespace {
std::vector<BindFn>& registry() {
  static std::vector<BindFn> fns;
  return fns;
}
}  // namespace

BindingRegistrar::BindingRegistrar(BindFn fn) { registry().push_back(fn); }

void run_registered_bindings(py::module_& m, TensorClass& cls) {
  for (BindFn fn : registry()) fn(m, cls);
}

}  // namespace pe::python

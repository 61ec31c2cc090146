// The struct-sequence types behind the named (values, indices) results (see return_types.h).
// _C._return_type(name) hands them to pyengine/return_types.py.
#include "python/return_types.h"

#include <map>
#include <memory>

#include "python/registry.h"

namespace pe::python {

namespace {
PyStructSequence_Field g_fields[] = {{"values", nullptr}, {"indices", nullptr}, {nullptr, nullptr}};

struct TypeEntry {
  std::string qualname;  // kept alive: the type's tp_name points into it
  PyStructSequence_Desc desc;
  PyTypeObject* type = nullptr;
};

// Types live as long as the process (like PyTorch's), so the map is never destroyed.
std::map<std::string, std::unique_ptr<TypeEntry>>& types() {
  static auto* m = new std::map<std::string, std::unique_ptr<TypeEntry>>();
  return *m;
}
}  // namespace

py::handle values_indices_type(const std::string& name) {
  auto& m = types();
  auto it = m.find(name);
  if (it != m.end()) return reinterpret_cast<PyObject*>(it->second->type);
  auto e = std::make_unique<TypeEntry>();
  e->qualname = "torch.return_types." + name;
  e->desc = PyStructSequence_Desc{e->qualname.c_str(), "A (values, indices) result.", g_fields, 2};
  e->type = PyStructSequence_NewType(&e->desc);
  if (!e->type) throw py::error_already_set();
  PyObject* t = reinterpret_cast<PyObject*>(e->type);
  // repr says torch.return_types.<name> (tp_name), pickle finds the type in pyengine.return_types.
  if (PyObject_SetAttrString(t, "__module__", py::str("pyengine.return_types").ptr()) != 0) throw py::error_already_set();
  m.emplace(name, std::move(e));
  return t;
}

py::object values_indices(const std::string& name, const Tensor& values, const Tensor& indices) {
  PyTypeObject* type = reinterpret_cast<PyTypeObject*>(values_indices_type(name).ptr());
  PyObject* r = PyStructSequence_New(type);
  if (!r) throw py::error_already_set();
  PyStructSequence_SetItem(r, 0, py::cast(values).release().ptr());
  PyStructSequence_SetItem(r, 1, py::cast(indices).release().ptr());
  return py::reinterpret_steal<py::object>(r);
}

namespace {
void bind_return_types(py::module_& m, TensorClass&) {
  m.def("_return_type", [](const std::string& name) { return py::reinterpret_borrow<py::object>(values_indices_type(name)); });
}
}  // namespace

PE_PY_BINDINGS(bind_return_types);

}  // namespace pe::python

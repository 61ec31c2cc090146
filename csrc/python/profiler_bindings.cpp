// The profiler hook's Python surface (core/profiler_hook.h), used by pyengine/profiler/_recorder.py:
// _C._profiler_enable(record_shapes), _profiler_disable(), _profiler_begin(name, shapes, user) -> id,
// _profiler_end(id), _profiler_drain() -> [(id, name, parent, start_ns, end_ns, thread, user, shapes)].
#include <pybind11/stl.h>

#include "core/profiler_hook.h"
#include "python/registry.h"

namespace pe::python {

namespace {

namespace prof = ::pe::profiler;

void bind_profiler(py::module_& m, TensorClass&) {
  m.def("_profiler_enable", &prof::enable, py::arg("record_shapes"));
  m.def("_profiler_disable", &prof::disable);
  m.def("_profiler_active", &prof::active);
  m.def(
      "_profiler_begin",
      [](std::string name, std::vector<std::vector<int64_t>> shapes, bool user) {
        return prof::begin(std::move(name), std::move(shapes), user);
      },
      py::arg("name"), py::arg("shapes"), py::arg("user") = false);
  m.def("_profiler_end", &prof::end, py::arg("id"));
  m.def("_profiler_drain", [] {
    py::list out;
    for (auto& e : prof::drain()) {
      py::object shapes = py::none();
      if (e.has_shapes) shapes = py::cast(e.shapes);
      out.append(py::make_tuple(e.id, e.name, e.parent, e.start_ns, e.end_ns, e.thread, e.user, shapes));
    }
    return out;
  });
}

}  // namespace

PE_PY_BINDINGS(bind_profiler);

}  // namespace pe::python

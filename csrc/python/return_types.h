// Named results such as torch.return_types.sort: (values, indices) tuples that also have .values
// and .indices, built as CPython struct sequences (what PyTorch uses), so they are real tuples.
#pragma once
#include "python/common.h"

namespace pe::python {

// The type torch.return_types.<name> with fields (values, indices), created on first use.
py::handle values_indices_type(const std::string& name);
py::object values_indices(const std::string& name, const Tensor& values, const Tensor& indices);

}  // namespace pe::python

#include "autograd/anomaly_mode.h"

#include "autograd/node.h"
#include "core/error.h"
#include "ops/elementwise.h"
#include "ops/ops.h"
#include "ops/reduce.h"

namespace pe::autograd {

void check_anomaly_outputs(const Node& fn, const variable_list& outputs) {
  for (size_t i = 0; i < outputs.size(); ++i) {
    const Tensor& g = outputs[i];
    if (!g.defined() || !is_floating(g.dtype()) || g.numel() == 0) continue;
    PE_CHECK(!::pe::item(::pe::any(::pe::isnan(g))).to_bool(), "Function '", fn.name(), "' returned nan values in its ",
             i, "th output.");
  }
}

}  // namespace pe::autograd

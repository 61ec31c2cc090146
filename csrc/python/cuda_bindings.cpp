// pyengine._C's CUDA runtime calls behind pyengine.cuda (streams, events, allocator statistics,
// pinned memory, device properties). Compiled in every build; without the CUDA part it binds
// nothing and pyengine/cuda.py answers "not compiled with CUDA". Streams and events cross as integer
// handles (a CUDA stream's handle is its cudaStream_t; 0 is the legacy default stream).
#include "core/matmul_precision.h"
#include "ops/optim_fused.h"
#include "python/common.h"

#ifdef PE_WITH_CUDA
#include "cuda/allocator.h"
#include "cuda/counters.h"
#include "cuda/cuda_check.h"
#include "cuda/device.h"
#include "cuda/stream.h"
#endif

namespace pe::python {

#ifdef PE_WITH_CUDA
namespace {

cudaStream_t to_stream(uintptr_t h) { return reinterpret_cast<cudaStream_t>(h); }
cudaEvent_t to_event(uintptr_t h) { return reinterpret_cast<cudaEvent_t>(h); }
uintptr_t handle(const void* p) { return reinterpret_cast<uintptr_t>(p); }

void bind_streams(py::module_& m) {
  using namespace pe::cuda;
  m.def("_cuda_current_stream", [](int d) { return handle(current_stream(d)); });
  m.def("_cuda_set_stream", [](int d, uintptr_t s) { set_current_stream(d, to_stream(s)); });
  m.def("_cuda_stream_create", [](int d, int priority) { return handle(create_stream(d, priority)); });
  m.def("_cuda_stream_priority", [](uintptr_t s, int d) { return stream_priority(to_stream(s), d); });
  m.def("_cuda_stream_priority_range", [] {
    int least = 0, greatest = 0;
    stream_priority_range(&least, &greatest);
    return py::make_tuple(least, greatest);
  });
  m.def("_cuda_stream_query", [](uintptr_t s, int d) { return stream_query(to_stream(s), d); });
  m.def("_cuda_stream_synchronize", [](uintptr_t s, int d) {
    py::gil_scoped_release nogil;
    stream_synchronize(to_stream(s), d);
  });
  m.def("_cuda_stream_wait_event", [](uintptr_t s, int d, uintptr_t e) {
    stream_wait_event(to_stream(s), d, to_event(e));
  });
  m.def("_cuda_event_create", [](int d, bool timing, bool blocking) { return handle(create_event(d, timing, blocking)); });
  m.def("_cuda_event_destroy", [](uintptr_t e) { destroy_event(to_event(e)); });
  m.def("_cuda_event_record", [](uintptr_t e, uintptr_t s, int d) { event_record(to_event(e), to_stream(s), d); });
  m.def("_cuda_event_query", [](uintptr_t e) { return event_query(to_event(e)); });
  m.def("_cuda_event_synchronize", [](uintptr_t e) {
    py::gil_scoped_release nogil;
    event_synchronize(to_event(e));
  });
  m.def("_cuda_event_elapsed_time", [](uintptr_t a, uintptr_t b) { return event_elapsed_ms(to_event(a), to_event(b)); });
  m.def("_cuda_sleep", [](int64_t cycles) { sleep_cycles(cycles); });
  // Note [Runtime counters] (cuda/counters.h)
  m.def("_cuda_launch_count", [] { return kernel_launch_counter().load(); });
  m.def("_cuda_sync_count", [] { return host_sync_counter().load(); });
}

void bind_memory(py::module_& m) {
  using namespace pe::cuda;
  // torch.cuda.OutOfMemoryError: tried before the module's translator, which would make it a plain
  // RuntimeError.
  static py::exception<OutOfMemoryError> oom(m, "OutOfMemoryError", PyExc_RuntimeError);
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const OutOfMemoryError& e) {
      PyErr_SetString(oom.ptr(), e.what());
    }
  });
  m.def("_cuda_memory_stats", [](int d) { return memory_stats(d); });
  m.def("_cuda_reset_peak_memory_stats", [](int d) { reset_peak_stats(d); });
  m.def("_cuda_reset_accumulated_memory_stats", [](int d) { reset_accumulated_stats(d); });
  m.def("_cuda_record_stream", [](const Tensor& t, uintptr_t s) {
    PE_CHECK(t.device().is_cuda(), "record_stream: expected a CUDA tensor, got one on ", t.device().str());
    record_stream(t->storage()->data(), to_stream(s));
  });
  m.def("_cuda_mem_get_info", [](int d) {
    DeviceGuard guard(d);
    size_t free_b = 0, total_b = 0;
    PE_CUDA_CHECK(cudaMemGetInfo(&free_b, &total_b));
    return py::make_tuple(free_b, total_b);
  });
  m.def("_cuda_device_properties", [](int d) {
    PE_CHECK(d >= 0 && d < device_count(), "Invalid device id ", d);
    cudaDeviceProp p;
    PE_CUDA_CHECK(cudaGetDeviceProperties(&p, d));
    py::dict out;
    out["name"] = std::string(p.name);
    out["major"] = p.major;
    out["minor"] = p.minor;
    out["total_memory"] = p.totalGlobalMem;
    out["multi_processor_count"] = p.multiProcessorCount;
    out["max_threads_per_multi_processor"] = p.maxThreadsPerMultiProcessor;
    out["max_threads_per_block"] = p.maxThreadsPerBlock;
    out["warp_size"] = p.warpSize;
    out["regs_per_block"] = p.regsPerBlock;
    out["shared_memory_per_block"] = p.sharedMemPerBlock;
    out["shared_memory_per_block_optin"] = p.sharedMemPerBlockOptin;
    out["shared_memory_per_multiprocessor"] = p.sharedMemPerMultiprocessor;
    out["L2_cache_size"] = p.l2CacheSize;
    return out;
  });
}

}  // namespace
#endif

void bind_cuda(py::module_& m) {
  m.def("_set_matmul_allow_tf32", [](bool allow) { set_matmul_allow_tf32(allow); });
  m.def("_get_matmul_allow_tf32", [] { return matmul_allow_tf32(); });
  // The multi-tensor optimizer steps (ops/optim_fused.h), called by pyengine/optim/_multi_tensor.py.
  using TensorList = std::vector<Tensor>;
  auto opt = [](const std::optional<Tensor>& t) { return t ? *t : Tensor(); };
  m.def(
      "_fused_sgd_",
      [opt](const TensorList& params, const TensorList& grads, const TensorList& bufs, const std::vector<bool>& first,
            double lr, double momentum, double dampening, double weight_decay, bool nesterov, bool maximize,
            const std::optional<Tensor>& grad_scale, const std::optional<Tensor>& found_inf) {
        FusedSgdArgs a;
        a.lr = lr, a.momentum = momentum, a.dampening = dampening, a.weight_decay = weight_decay;
        a.nesterov = nesterov, a.maximize = maximize;
        py::gil_scoped_release nogil;
        fused_sgd_(params, grads, bufs, first, a, opt(grad_scale), opt(found_inf));
      },
      py::arg("params"), py::arg("grads"), py::arg("momentum_buffers"), py::arg("is_first"), py::kw_only(),
      py::arg("lr"), py::arg("momentum"), py::arg("dampening"), py::arg("weight_decay"), py::arg("nesterov"),
      py::arg("maximize"), py::arg("grad_scale") = py::none(), py::arg("found_inf") = py::none());
  m.def(
      "_fused_adam_",
      [opt](const TensorList& params, const TensorList& grads, const TensorList& exp_avgs, const TensorList& exp_avg_sqs,
            const TensorList& max_exp_avg_sqs, const TensorList& steps, double lr, double beta1, double beta2,
            double weight_decay, double eps, bool amsgrad, bool maximize, bool decoupled_weight_decay,
            const std::optional<Tensor>& grad_scale, const std::optional<Tensor>& found_inf) {
        FusedAdamArgs a;
        a.lr = lr, a.beta1 = beta1, a.beta2 = beta2, a.weight_decay = weight_decay, a.eps = eps;
        a.amsgrad = amsgrad, a.maximize = maximize, a.decoupled_weight_decay = decoupled_weight_decay;
        py::gil_scoped_release nogil;
        fused_adam_(params, grads, exp_avgs, exp_avg_sqs, max_exp_avg_sqs, steps, a, opt(grad_scale), opt(found_inf));
      },
      py::arg("params"), py::arg("grads"), py::arg("exp_avgs"), py::arg("exp_avg_sqs"), py::arg("max_exp_avg_sqs"),
      py::arg("state_steps"), py::kw_only(), py::arg("lr"), py::arg("beta1"), py::arg("beta2"),
      py::arg("weight_decay"), py::arg("eps"), py::arg("amsgrad"), py::arg("maximize"),
      py::arg("decoupled_weight_decay"), py::arg("grad_scale") = py::none(), py::arg("found_inf") = py::none());
  m.def(
      "_fused_rmsprop_",
      [](const TensorList& params, const TensorList& grads, const TensorList& square_avgs, const TensorList& grad_avgs,
         const TensorList& momentum_buffers, double lr, double alpha, double eps, double weight_decay,
         double momentum, bool centered, bool maximize) {
        FusedRmspropArgs a;
        a.lr = lr, a.alpha = alpha, a.eps = eps, a.weight_decay = weight_decay, a.momentum = momentum;
        a.centered = centered, a.maximize = maximize;
        py::gil_scoped_release nogil;
        fused_rmsprop_(params, grads, square_avgs, grad_avgs, momentum_buffers, a);
      },
      py::arg("params"), py::arg("grads"), py::arg("square_avgs"), py::arg("grad_avgs"), py::arg("momentum_buffers"),
      py::kw_only(), py::arg("lr"), py::arg("alpha"), py::arg("eps"), py::arg("weight_decay"), py::arg("momentum"),
      py::arg("centered"), py::arg("maximize"));
  m.def(
      "_fused_adagrad_",
      [](const TensorList& params, const TensorList& grads, const TensorList& state_sums,
         const std::vector<double>& clrs, double eps, double weight_decay, bool maximize) {
        FusedAdagradArgs a;
        a.eps = eps, a.weight_decay = weight_decay, a.maximize = maximize;
        py::gil_scoped_release nogil;
        fused_adagrad_(params, grads, state_sums, clrs, a);
      },
      py::arg("params"), py::arg("grads"), py::arg("state_sums"), py::arg("clrs"), py::kw_only(), py::arg("eps"),
      py::arg("weight_decay"), py::arg("maximize"));
  m.def("_pin_memory", [](const Tensor& t) { return pin_memory(t); });
  m.def("_is_pinned", [](const Tensor& t) { return is_pinned(t); });
#ifdef PE_WITH_CUDA
  bind_streams(m);
  bind_memory(m);
#endif
}

}  // namespace pe::python

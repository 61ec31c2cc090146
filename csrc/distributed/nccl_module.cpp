// pyengine._nccl: the NCCL backend of pyengine.distributed (CUDA tensors), a thin layer over NCCL.
//
// Note [NCCL backend layout]: this module knows nothing of pyengine's tensors. Python
// (pyengine/distributed/_nccl.py) checks the tensors and hands over raw device pointers, element
// counts, NCCL datatype/op codes and the cudaStream_t of pyengine's current stream; every call here
// enqueues on that stream and returns at once (NCCL is stream-ordered, like a kernel launch), so a
// collective is ordered after the kernels that produced its input and before those that read its
// output. Work handles are CUDA events recorded after the enqueue. The unique id that lets the ranks
// find each other (ncclCommInitRank) travels through the process group's MPI communicator, our
// bootstrap store. Built only by a real CUDA build that found NCCL (the nvidia-nccl wheel or a system
// install, csrc/distributed/CMakeLists.txt); it links its own static CUDA runtime: streams and events
// are driver objects, valid across runtime copies, and each call selects the communicator's device.
#include <cuda_runtime.h>
#include <nccl.h>
#include <pybind11/pybind11.h>

#include <cstdint>
#include <stdexcept>
#include <string>

namespace py = pybind11;

namespace pe::nccl {
namespace {

void check_cuda(cudaError_t err, const char* what) {
  if (err != cudaSuccess) {
    throw std::runtime_error(std::string("NCCL backend: ") + what + ": " + cudaGetErrorString(err));
  }
}

void check_nccl(ncclResult_t res, ncclComm_t comm, const char* what) {
  if (res == ncclSuccess || res == ncclInProgress) return;
  std::string msg = std::string("NCCL error in ") + what + ": " + ncclGetErrorString(res);
  const char* last = ncclGetLastError(comm);
  if (last != nullptr && last[0] != '\0') msg += std::string(" (") + last + ")";
  throw std::runtime_error(msg);
}

cudaStream_t to_stream(uintptr_t s) { return reinterpret_cast<cudaStream_t>(s); }
void* to_ptr(uintptr_t p) { return reinterpret_cast<void*>(p); }

py::bytes unique_id() {
  ncclUniqueId id;
  check_nccl(ncclGetUniqueId(&id), nullptr, "ncclGetUniqueId");
  return py::bytes(id.internal, NCCL_UNIQUE_ID_BYTES);
}

// One NCCL communicator: the ranks of a process group on one device each.
class Comm {
 public:
  Comm(const std::string& id_bytes, int nranks, int rank, int device) : rank_(rank), size_(nranks), device_(device) {
    if (id_bytes.size() != NCCL_UNIQUE_ID_BYTES) {
      throw std::invalid_argument("NCCL backend: the unique id must be " + std::to_string(NCCL_UNIQUE_ID_BYTES) +
                                  " bytes");
    }
    ncclUniqueId id;
    std::copy(id_bytes.begin(), id_bytes.end(), id.internal);
    check_cuda(cudaSetDevice(device_), "cudaSetDevice");
    ncclResult_t res;
    {
      // Init waits for every rank of the group: let the other Python threads run meanwhile.
      py::gil_scoped_release nogil;
      res = ncclCommInitRank(&comm_, nranks, id, rank);
    }
    check_nccl(res, nullptr, "ncclCommInitRank");
  }
  ~Comm() {
    if (comm_ != nullptr) ncclCommDestroy(comm_);  // no throw from a destructor; destroy() reports errors
  }
  Comm(const Comm&) = delete;
  Comm& operator=(const Comm&) = delete;

  int rank() const { return rank_; }
  int size() const { return size_; }
  int device() const { return device_; }

  void all_reduce(uintptr_t send, uintptr_t recv, size_t count, int dtype, int op, uintptr_t stream) {
    if (count == 0) return;  // every rank has the same (empty) shape: nothing to move
    enter();
    check_nccl(ncclAllReduce(to_ptr(send), to_ptr(recv), count, ncclDataType_t(dtype), ncclRedOp_t(op), comm_,
                             to_stream(stream)), comm_, "ncclAllReduce");
  }
  void broadcast(uintptr_t send, uintptr_t recv, size_t count, int dtype, int root, uintptr_t stream) {
    if (count == 0) return;  // every rank has the same (empty) shape: nothing to move
    enter();
    check_nccl(ncclBroadcast(to_ptr(send), to_ptr(recv), count, ncclDataType_t(dtype), root, comm_, to_stream(stream)),
               comm_, "ncclBroadcast");
  }
  void reduce(uintptr_t send, uintptr_t recv, size_t count, int dtype, int op, int root, uintptr_t stream) {
    if (count == 0) return;  // every rank has the same (empty) shape: nothing to move
    enter();
    check_nccl(ncclReduce(to_ptr(send), to_ptr(recv), count, ncclDataType_t(dtype), ncclRedOp_t(op), root, comm_,
                          to_stream(stream)), comm_, "ncclReduce");
  }
  // send_count elements from every rank, concatenated in rank order into recv.
  void all_gather(uintptr_t send, uintptr_t recv, size_t send_count, int dtype, uintptr_t stream) {
    if (send_count == 0) return;  // every rank has the same (empty) shape: nothing to move
    enter();
    check_nccl(ncclAllGather(to_ptr(send), to_ptr(recv), send_count, ncclDataType_t(dtype), comm_, to_stream(stream)),
               comm_, "ncclAllGather");
  }
  // recv_count elements per rank: block r of the reduced send buffer lands on rank r.
  void reduce_scatter(uintptr_t send, uintptr_t recv, size_t recv_count, int dtype, int op, uintptr_t stream) {
    if (recv_count == 0) return;  // every rank has the same (empty) shape: nothing to move
    enter();
    check_nccl(ncclReduceScatter(to_ptr(send), to_ptr(recv), recv_count, ncclDataType_t(dtype), ncclRedOp_t(op),
                                 comm_, to_stream(stream)), comm_, "ncclReduceScatter");
  }
  void send(uintptr_t buf, size_t count, int dtype, int peer, uintptr_t stream) {
    if (count == 0) return;  // every rank has the same (empty) shape: nothing to move
    enter();
    check_nccl(ncclSend(to_ptr(buf), count, ncclDataType_t(dtype), peer, comm_, to_stream(stream)), comm_, "ncclSend");
  }
  void recv(uintptr_t buf, size_t count, int dtype, int peer, uintptr_t stream) {
    if (count == 0) return;  // every rank has the same (empty) shape: nothing to move
    enter();
    check_nccl(ncclRecv(to_ptr(buf), count, ncclDataType_t(dtype), peer, comm_, to_stream(stream)), comm_, "ncclRecv");
  }

  // An asynchronous failure of the communicator (a peer gone, a network error), or "" when none.
  std::string async_error() {
    if (comm_ == nullptr) return "the communicator was destroyed";
    ncclResult_t err = ncclSuccess;
    check_nccl(ncclCommGetAsyncError(comm_, &err), comm_, "ncclCommGetAsyncError");
    if (err == ncclSuccess || err == ncclInProgress) return "";
    return ncclGetErrorString(err);
  }
  // Ends the communicator now, without waiting for work in flight (a failed peer).
  void abort() {
    if (comm_ != nullptr) {
      ncclCommAbort(comm_);
      comm_ = nullptr;
    }
  }
  void destroy() {
    if (comm_ != nullptr) {
      ncclComm_t c = comm_;
      comm_ = nullptr;
      check_nccl(ncclCommDestroy(c), nullptr, "ncclCommDestroy");
    }
  }

 private:
  void enter() {
    if (comm_ == nullptr) throw std::runtime_error("NCCL backend: the communicator was destroyed");
    check_cuda(cudaSetDevice(device_), "cudaSetDevice");
  }

  ncclComm_t comm_ = nullptr;
  int rank_;
  int size_;
  int device_;
};

// Completion of enqueued work: an event recorded on the stream right after it.
class Event {
 public:
  Event(int device, uintptr_t stream) : device_(device) {
    check_cuda(cudaSetDevice(device_), "cudaSetDevice");
    check_cuda(cudaEventCreateWithFlags(&event_, cudaEventDisableTiming), "cudaEventCreate");
    check_cuda(cudaEventRecord(event_, to_stream(stream)), "cudaEventRecord");
  }
  ~Event() {
    if (event_ != nullptr) cudaEventDestroy(event_);
  }
  Event(const Event&) = delete;
  Event& operator=(const Event&) = delete;

  bool query() {
    check_cuda(cudaSetDevice(device_), "cudaSetDevice");
    cudaError_t err = cudaEventQuery(event_);
    if (err == cudaErrorNotReady) return false;
    check_cuda(err, "cudaEventQuery");
    return true;
  }
  // Later work on `stream` runs after the event (PyTorch's Work.wait() for NCCL: the host goes on).
  void block_stream(uintptr_t stream) {
    check_cuda(cudaSetDevice(device_), "cudaSetDevice");
    check_cuda(cudaStreamWaitEvent(to_stream(stream), event_, 0), "cudaStreamWaitEvent");
  }

 private:
  cudaEvent_t event_ = nullptr;
  int device_;
};

}  // namespace
}  // namespace pe::nccl

PYBIND11_MODULE(_nccl, m) {
  using namespace pe::nccl;
  // An enqueue can block the host: the first operation between two ranks sets up their connection and
  // waits for the peer. Other Python threads of the rank run meanwhile.
  using nogil = py::call_guard<py::gil_scoped_release>;
  m.doc() = "NCCL backend of pyengine.distributed (Note [NCCL backend layout] in csrc/distributed/nccl_module.cpp)";
  int version = 0;
  ncclGetVersion(&version);
  m.attr("version") = version;
  m.attr("unique_id_bytes") = NCCL_UNIQUE_ID_BYTES;
  // NCCL's codes, named as pyengine's dtypes and ReduceOps, so Python never hard-codes them.
  py::dict dtypes;
  dtypes["int8"] = int(ncclInt8);
  dtypes["uint8"] = int(ncclUint8);
  dtypes["int32"] = int(ncclInt32);
  dtypes["int64"] = int(ncclInt64);
  dtypes["float16"] = int(ncclFloat16);
  dtypes["float32"] = int(ncclFloat32);
  dtypes["float64"] = int(ncclFloat64);
  dtypes["bfloat16"] = int(ncclBfloat16);
  m.attr("dtypes") = dtypes;
  py::dict ops;
  ops["SUM"] = int(ncclSum);
  ops["PRODUCT"] = int(ncclProd);
  ops["MAX"] = int(ncclMax);
  ops["MIN"] = int(ncclMin);
  ops["AVG"] = int(ncclAvg);
  m.attr("ops") = ops;
  m.def("unique_id", &unique_id, "A fresh ncclUniqueId (rank 0 makes it; the others receive it)");
  m.def("group_start", [] { check_nccl(ncclGroupStart(), nullptr, "ncclGroupStart"); },
        "Starts fusing the following sends/receives (all_to_all, batched point-to-point)");
  m.def("group_end", [] { check_nccl(ncclGroupEnd(), nullptr, "ncclGroupEnd"); });

  py::class_<Comm>(m, "Comm")
      .def(py::init<const std::string&, int, int, int>(), py::arg("unique_id"), py::arg("nranks"), py::arg("rank"),
           py::arg("device"))
      .def_property_readonly("rank", &Comm::rank)
      .def_property_readonly("size", &Comm::size)
      .def_property_readonly("device", &Comm::device)
      .def("all_reduce", &Comm::all_reduce, nogil())
      .def("broadcast", &Comm::broadcast, nogil())
      .def("reduce", &Comm::reduce, nogil())
      .def("all_gather", &Comm::all_gather, nogil())
      .def("reduce_scatter", &Comm::reduce_scatter, nogil())
      .def("send", &Comm::send, nogil())
      .def("recv", &Comm::recv, nogil())
      .def("async_error", &Comm::async_error)
      .def("abort", &Comm::abort)
      .def("destroy", &Comm::destroy);

  py::class_<Event>(m, "Event")
      .def(py::init<int, uintptr_t>(), py::arg("device"), py::arg("stream"))
      .def("query", &Event::query)
      .def("block_stream", &Event::block_stream);
}

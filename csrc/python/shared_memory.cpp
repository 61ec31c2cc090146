// Shared-memory storages for pyengine.multiprocessing: Tensor.share_memory_() moves a CPU storage's
// bytes into an anonymous shared mapping (memfd, or an unlinked POSIX shm object where memfd is
// missing) in place, so every view follows; the mapping's fd travels to other processes (through
// multiprocessing's fd passing) and _from_shm_fd maps it there: the storage is shared, not copied.
// Nothing is ever left in /dev/shm: the object has no name once created, and it is freed by the
// kernel when the last mapping and fd close.
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <mutex>
#include <string>
#include <unordered_map>

#include "python/registry.h"

namespace pe::python {

namespace {

// One mapping: its fd (kept open so the storage can be sent again) and its extent.
struct ShmMapping {
  int fd;
  void* base;
  size_t len;
};

// Storages known to be shared, by data pointer (is_shared, _shm_fd).
std::mutex g_mu;
std::unordered_map<void*, ShmMapping*> g_maps;

void release_mapping(void* ctx, void*) {
  auto* m = static_cast<ShmMapping*>(ctx);
  {
    std::lock_guard<std::mutex> lock(g_mu);
    g_maps.erase(m->base);
  }
  munmap(m->base, m->len);
  close(m->fd);
  delete m;
}

std::string errno_str() { return std::strerror(errno); }

int create_fd(size_t len) {
  int fd = -1;
#ifdef MFD_CLOEXEC
  fd = memfd_create("pyengine-shm", MFD_CLOEXEC);
#endif
  if (fd < 0) {  // no memfd: a POSIX shm object, unlinked at once
    static std::atomic<int> counter{0};
    std::string name = str("/pyengine_", getpid(), "_", counter++);
    fd = shm_open(name.c_str(), O_RDWR | O_CREAT | O_EXCL, 0600);
    PE_CHECK(fd >= 0, "share_memory_: shm_open(", name, ") failed: ", errno_str());
    shm_unlink(name.c_str());
  }
  if (ftruncate(fd, (off_t)len) != 0) {
    std::string e = errno_str();
    close(fd);
    PE_ERROR("share_memory_: could not size a shared-memory object to ", len, " bytes: ", e);
  }
  return fd;
}

// Maps fd (owned from here on: closed with the mapping, or on failure).
DataPtr map_fd(int fd, size_t nbytes) {
  size_t len = nbytes ? nbytes : 1;  // mmap refuses empty mappings
  void* base = mmap(nullptr, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (base == MAP_FAILED) {
    std::string e = errno_str();
    close(fd);
    PE_ERROR("could not map ", len, " bytes of shared memory: ", e);
  }
  auto* m = new ShmMapping{fd, base, len};
  {
    std::lock_guard<std::mutex> lock(g_mu);
    g_maps[base] = m;
  }
  return DataPtr(base, m, &release_mapping, Device());
}

ShmMapping* find_mapping(const Tensor& t) {
  std::lock_guard<std::mutex> lock(g_mu);
  auto it = g_maps.find(t->storage()->data());
  return it == g_maps.end() ? nullptr : it->second;
}

void share_memory(const Tensor& t) {
  if (!t.device().is_cpu() || find_mapping(t)) return;  // CUDA memory is shared already (PyTorch: a no-op)
  StorageImpl& s = *t->storage();
  size_t n = s.nbytes();
  int fd = create_fd(n ? n : 1);
  DataPtr dp = map_fd(fd, n);
  if (n) std::memcpy(dp.get(), s.data(), n);
  // Move-assigning a fresh StorageImpl swaps the buffer under every view of this storage (they hold
  // the same StorageImpl) and releases the old one; the adopted buffer is not resizable.
  s = StorageImpl(std::move(dp), n);
}

Tensor from_shm_fd(int fd, size_t nbytes, DType dtype, const DimVector& sizes, const DimVector& strides,
                   int64_t offset) {
  int own = dup(fd);
  PE_CHECK(own >= 0, "could not duplicate the shared-memory fd ", fd, ": ", errno_str());
  struct stat st;
  if (fstat(own, &st) != 0 || (size_t)st.st_size < (nbytes ? nbytes : 1)) {
    close(own);
    PE_ERROR("shared-memory fd ", fd, " is smaller than the ", nbytes, " bytes of the storage sent");
  }
  auto storage = std::make_shared<StorageImpl>(map_fd(own, nbytes), nbytes);
  return Tensor(std::make_shared<TensorImpl>(std::move(storage), dtype, sizes, strides, offset));
}

void bind_shared_memory(py::module_& m, TensorClass&) {
  m.def("_share_memory_", [](const Tensor& t) { share_memory(t); });
  m.def("_is_shared", [](const Tensor& t) { return find_mapping(t) != nullptr; });
  // (fd, nbytes) of a shared storage; the fd stays owned by the storage (send a dup).
  m.def("_shm_fd", [](const Tensor& t) {
    ShmMapping* mp = find_mapping(t);
    PE_CHECK(mp, "_shm_fd: the tensor's storage is not in shared memory (call share_memory_() first)");
    return py::make_tuple(mp->fd, t->storage()->nbytes());
  });
  m.def("_from_shm_fd", [](int fd, size_t nbytes, DType dtype, py::handle size, py::handle stride, int64_t offset) {
    return from_shm_fd(fd, nbytes, dtype, to_dimvector(size, "_from_shm_fd", "size"),
                       to_dimvector(stride, "_from_shm_fd", "stride"), offset);
  });
}

}  // namespace

PE_PY_BINDINGS(bind_shared_memory);

}  // namespace pe::python

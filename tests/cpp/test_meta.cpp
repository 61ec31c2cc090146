// The meta device's core facts (Note [Meta device], core/dispatch.h): storages without memory and the one
// dispatch rule (void kernel families skip, value-returning ones raise NotImplementedError).
#include <gtest/gtest.h>

#include "core/allocator.h"
#include "core/dispatch.h"
#include "core/storage.h"

namespace pe {
namespace {

using WriteFn = void (*)(int* out);
using CountFn = int (*)(const int* in);
void cpu_write(int* out) { *out = 7; }
int cpu_count(const int* in) { return *in; }

TEST(Meta, DeviceParsesAndPrints) {
  EXPECT_EQ(Device::parse("meta").type, DeviceType::Meta);
  EXPECT_EQ(Device::parse("meta").str(), "meta");
  EXPECT_EQ(Device::parse("meta:0").str(), "meta:0");
  EXPECT_TRUE(Device(DeviceType::Meta).is_meta());
  EXPECT_STREQ(Device(DeviceType::Meta).type_name(), "meta");
}

TEST(Meta, StorageHoldsNoMemory) {
  size_t before = cpu_allocator()->memory_allocated();
  StorageImpl s(size_t(1) << 40, Device(DeviceType::Meta));
  EXPECT_EQ(s.data(), nullptr);
  EXPECT_EQ(s.nbytes(), size_t(1) << 40);
  EXPECT_TRUE(s.device().is_meta());
  s.resize(size_t(1) << 41);  // grows the bookkeeping, copies nothing
  EXPECT_EQ(s.nbytes(), size_t(1) << 41);
  EXPECT_EQ(cpu_allocator()->memory_allocated(), before);
}

TEST(Meta, VoidKernelsSkipValueKernelsRaise) {
  DispatchStub<WriteFn> write("write");
  DispatchStub<CountFn> count("count");
  write.set(DeviceType::CPU, &cpu_write);
  count.set(DeviceType::CPU, &cpu_count);
  int v = 0;
  write(Device(DeviceType::Meta))(&v);  // the generic meta kernel: nothing is written
  EXPECT_EQ(v, 0);
  write(Device())(&v);
  EXPECT_EQ(v, 7);
  EXPECT_THROW(count(Device(DeviceType::Meta)), NotImplementedError);
  EXPECT_THROW(write(Device(DeviceType::CUDA)), Error);  // other devices still need a registered kernel
}

}  // namespace
}  // namespace pe

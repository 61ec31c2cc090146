// Devices: cpu, cuda:N and meta (shapes without data: see Note [Meta device] in core/dispatch.h).
#pragma once
#include <cstdint>
#include <string>

namespace pe {

enum class DeviceType : int8_t { CPU = 0, CUDA = 1, Meta = 2 };
constexpr int kNumDeviceTypes = 3;

struct Device {
  DeviceType type = DeviceType::CPU;
  int8_t index = -1;  // -1: "the current device" (cpu is always -1)

  Device() = default;
  Device(DeviceType t, int idx = -1) : type(t), index((int8_t)idx) {}
  // Parses "cpu", "cuda", "cuda:1", "meta"; throws RuntimeError on anything else (as PyTorch).
  static Device parse(const std::string& s);

  bool is_cpu() const { return type == DeviceType::CPU; }
  bool is_cuda() const { return type == DeviceType::CUDA; }
  bool is_meta() const { return type == DeviceType::Meta; }
  bool operator==(const Device& o) const { return type == o.type && index == o.index; }
  bool operator!=(const Device& o) const { return !(*this == o); }
  std::string str() const;  // "cpu", "cuda:0", "meta"
  const char* type_name() const;  // "cpu", "cuda", "meta"
};

}  // namespace pe

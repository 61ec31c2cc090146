// Device string parsing and printing.
#include "device.h"

#include <cctype>

#include "error.h"

namespace pe {

Device Device::parse(const std::string& s) {
  auto colon = s.find(':');
  std::string type = s.substr(0, colon);
  DeviceType t;
  if (type == "cpu") {
    t = DeviceType::CPU;
  } else if (type == "cuda") {
    t = DeviceType::CUDA;
  } else if (type == "meta") {
    t = DeviceType::Meta;
  } else {
    PE_ERROR("Expected one of cpu, cuda, meta device type at start of device string: ", s);
  }
  if (colon == std::string::npos) return Device(t, -1);
  std::string idx = s.substr(colon + 1);
  bool digits = !idx.empty() && idx.size() < 4;
  for (char c : idx) digits = digits && std::isdigit((unsigned char)c);
  PE_CHECK(digits, "Invalid device string: '", s, "'");
  int i = std::stoi(idx);
  PE_CHECK(t != DeviceType::CPU || i == 0, "CPU device index must be -1 or zero, got ", i);
  return Device(t, i);
}

const char* Device::type_name() const {
  switch (type) {
    case DeviceType::CUDA: return "cuda";
    case DeviceType::Meta: return "meta";
    default: return "cpu";
  }
}

std::string Device::str() const {
  std::string s = type_name();
  if (index >= 0) s += ":" + std::to_string(index);
  return s;
}

}  // namespace pe

// Errors of the core. Each class maps to the Python exception PyTorch raises for the same misuse
// (see csrc/python/module.cpp for the translation). PE_CHECK is for the op layer: kernels assume
// their inputs were checked.
#pragma once
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "macros.h"

namespace pe {

class Error : public std::runtime_error {  // -> RuntimeError
 public:
  using std::runtime_error::runtime_error;
};
class IndexError : public Error {  // -> IndexError
 public:
  using Error::Error;
};
class TypeError : public Error {  // -> TypeError
 public:
  using Error::Error;
};
class ValueError : public Error {  // -> ValueError
 public:
  using Error::Error;
};
class NotImplementedError : public Error {  // -> NotImplementedError
 public:
  using Error::Error;
};

namespace detail {
template <class T>
void put(std::ostringstream& os, const T& v) {
  os << v;
}
// Shapes print as PyTorch prints them: [2, 3].
inline void put(std::ostringstream& os, const std::vector<int64_t>& v) {
  os << "[";
  for (size_t i = 0; i < v.size(); ++i) os << (i ? ", " : "") << v[i];
  os << "]";
}
inline void str_append(std::ostringstream&) {}
template <class T, class... Rest>
void str_append(std::ostringstream& os, const T& v, const Rest&... rest) {
  put(os, v);
  str_append(os, rest...);
}
}  // namespace detail

// Concatenates its arguments with operator<< (shapes as [2, 3]).
template <class... Args>
std::string str(const Args&... args) {
  std::ostringstream os;
  detail::str_append(os, args...);
  return os.str();
}

}  // namespace pe

#define PE_CHECK_T(ExcType, cond, ...)                     \
  do {                                                     \
    if (PE_UNLIKELY(!(cond))) throw ExcType(::pe::str(__VA_ARGS__)); \
  } while (0)

#define PE_CHECK(cond, ...) PE_CHECK_T(::pe::Error, cond, __VA_ARGS__)
#define PE_CHECK_INDEX(cond, ...) PE_CHECK_T(::pe::IndexError, cond, __VA_ARGS__)
#define PE_CHECK_TYPE(cond, ...) PE_CHECK_T(::pe::TypeError, cond, __VA_ARGS__)
#define PE_CHECK_VALUE(cond, ...) PE_CHECK_T(::pe::ValueError, cond, __VA_ARGS__)
#define PE_ERROR(...) throw ::pe::Error(::pe::str(__VA_ARGS__))

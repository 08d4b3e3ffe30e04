#pragma once
// Errors are values across module boundaries: a code a program can switch on plus a
// message a person can act on. Exceptions are reserved for start-up (config, bind).
#include <string>
#include <utility>

#include <tl/expected.hpp>

namespace shield {

enum class ErrorCode {
  kInvalidArgument,  // the caller sent something wrong; the message says what
  kNotFound,         // the named thing does not exist
  kAlreadyExists,
  kPermissionDenied,
  kUnauthenticated,
  kResourceExhausted,  // a bound was hit (sessions, queue, size)
  kFailedPrecondition,
  kUnavailable,  // a dependency is down or refusing
  kTimeout,
  kCancelled,
  kInternal,
};

// Stable, machine-readable spelling of a code ("invalid_argument", ...).
const char* to_string(ErrorCode code) noexcept;

struct Error {
  ErrorCode code = ErrorCode::kInternal;
  std::string message;

  Error() = default;
  Error(ErrorCode c, std::string m) : code(c), message(std::move(m)) {}
};

template <class T>
using Result = tl::expected<T, Error>;

inline tl::unexpected<Error> fail(ErrorCode code, std::string message) {
  return tl::unexpected<Error>(Error{code, std::move(message)});
}

}  // namespace shield

#pragma once
// The result of a call that talks to a backend: the value, or the BackendError that says
// which backend failed and how (a tool turns it into structuredContent.error as is).
#include <tl/expected.hpp>

#include "shield/backend/backend.hpp"

namespace shield::backend {

template <class T>
using CallResult = tl::expected<T, BackendError>;

// A failure found on our side of a backend call (a malformed answer, a bad name), phrased
// like the wrapper's own errors so callers need only one error type.
[[nodiscard]] BackendError local_backend_error(const Backend& backend, BackendErrorCode code,
                                               std::string message, std::string detail = {});

}  // namespace shield::backend

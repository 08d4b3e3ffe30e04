#include "shield/backend/call_result.hpp"

#include <utility>

namespace shield::backend {

BackendError local_backend_error(const Backend& backend, BackendErrorCode code, std::string message,
                                 std::string detail) {
  BackendError error;
  error.code = code;
  error.backend = backend.name();
  error.base_url = backend.base_url();
  error.message = std::move(message);
  error.detail = std::move(detail);
  return error;
}

}  // namespace shield::backend

#include "shield/tools/backend_failure.hpp"

namespace shield::tools {

mcp::ToolResult backend_failure(const backend::BackendError& error) {
  mcp::Json details = error.to_json();
  // ToolResult::error sets code and message itself; keep one source for each.
  details.erase("code");
  details.erase("message");
  return mcp::ToolResult::error(backend::to_string(error.code), error.message, std::move(details));
}

}  // namespace shield::tools

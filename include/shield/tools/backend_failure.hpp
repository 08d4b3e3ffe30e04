#pragma once
// How a failed backend call reaches the model: an isError tool result whose text is the
// backend's actionable message and whose structuredContent.error is
// {code, message, backend, retry_after_s, detail, http_status?} (code: backend_unavailable,
// backend_timeout, backend_rejected, backend_busy or cancelled).
#include "shield/backend/backend.hpp"
#include "shield/mcp/tool.hpp"

namespace shield::tools {

[[nodiscard]] mcp::ToolResult backend_failure(const backend::BackendError& error);

}  // namespace shield::tools

#pragma once
// The outputSchema a tool declares: its success shape, widened to admit the error shape of
// its isError results ({error: {code, message, ...}}). Clients check every
// structuredContent against the outputSchema, error results included (the TypeScript SDK
// does), so a schema that only described success would make them reject our errors.
#include "shield/mcp/tool.hpp"

namespace shield::tools {

// `success` must be an object schema with `properties` and `required`. The result keeps
// its properties, adds `error`, and requires either success's `required` or `error`.
[[nodiscard]] mcp::Json output_schema_with_error(mcp::Json success);

}  // namespace shield::tools

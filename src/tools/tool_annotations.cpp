#include "shield/tools/tool_annotations.hpp"

namespace shield::tools {

mcp::Json tool_annotations(std::string_view title, ToolHints hints) {
  return mcp::Json{{"title", title},
                   {"readOnlyHint", hints.read_only},
                   {"destructiveHint", hints.destructive},
                   {"idempotentHint", hints.idempotent},
                   {"openWorldHint", hints.open_world}};
}

}  // namespace shield::tools

#pragma once
// The MCP annotations every tool declares. One builder so each tool states only the hints
// that tell it apart, and no tool forgets one: clients treat a missing hint as its
// pessimistic default (destructive, not idempotent, open world).
#include <string_view>

#include "shield/mcp/tool.hpp"

namespace shield::tools {

struct ToolHints {
  bool read_only = false;
  bool destructive = false;
  bool idempotent = true;
  // True for tools that reach the open web (crawling), false for our own backends.
  bool open_world = false;
};

[[nodiscard]] mcp::Json tool_annotations(std::string_view title, ToolHints hints);

}  // namespace shield::tools

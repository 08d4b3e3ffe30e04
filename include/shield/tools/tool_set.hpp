#pragma once
// The daemon's tools, registered in one place. Each tool is one file under src/tools/ that
// builds a ToolDefinition from its dependencies; adding a tool is that file plus one line in
// register_tools().
#include <memory>

#include "shield/mcp/registry.hpp"
#include "shield/util/error.hpp"

namespace shield::backend {
class Backend;
class Embedder;
}  // namespace shield::backend

namespace shield::config {
struct Config;
}

namespace shield::tools {

// What the tools may use. Backends that are not configured are null; a tool whose backend
// is missing is not registered.
struct ToolDependencies {
  const config::Config* config = nullptr;
  backend::Backend* qdrant = nullptr;
  backend::Embedder* embedder = nullptr;
  backend::Backend* orchestrator = nullptr;
  backend::Backend* lightrag = nullptr;
};

Result<void> register_tools(mcp::Registry& registry, const ToolDependencies& dependencies);

}  // namespace shield::tools

#pragma once
// The daemon's tools, registered in one place. Each tool is one file under src/tools/ that
// builds a ToolDefinition from its dependencies; adding a tool is that file plus one line in
// register_tools().
#include <functional>
#include <memory>
#include <string>

#include "shield/mcp/registry.hpp"
#include "shield/util/error.hpp"

namespace shield::backend {
class Backend;
class Embedder;
}  // namespace shield::backend

namespace shield::config {
struct Config;
}
namespace shield::jobs {
class JobEngine;
}
namespace shield::ingest {
class Sink;
class UploadStore;
}  // namespace shield::ingest
namespace shield::mcp {
class TaskStore;
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
  // The durable job engine, the sink its documents go to, and the MCP task view of its jobs
  // (tools that run as jobs declare it as their task store). Null in tests without jobs.
  jobs::JobEngine* jobs = nullptr;
  ingest::Sink* sink = nullptr;
  ingest::UploadStore* uploads = nullptr;  // where ingest_doc keeps documents until extracted
  std::shared_ptr<mcp::TaskStore> job_tasks;
  // Where clients reach this daemon ("http://127.0.0.1:8765"), the prefix of track_url.
  // A function: the listener binds (and learns its port) after the tools are registered.
  std::function<std::string()> public_base_url;
};

Result<void> register_tools(mcp::Registry& registry, const ToolDependencies& dependencies);

}  // namespace shield::tools

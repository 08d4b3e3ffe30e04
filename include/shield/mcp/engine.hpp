#pragma once
// The MCP protocol engine: JSON-RPC 2.0 dispatch for every supported revision, version
// negotiation, the registries, argument/output validation, progress, logging and
// cancellation. It knows nothing of HTTP or stdio: a transport parses framing, decides the
// session and the revision, and hands the engine one message with a RequestScope.
//
// Threading: handle() may be called from any thread concurrently. Handlers run as
// coroutines on the executor given at construction; a RequestChannel may be called from
// any of its threads.
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>

#include "shield/mcp/in_memory_task_store.hpp"
#include "shield/mcp/registry.hpp"
#include "shield/mcp/session.hpp"
#include "shield/mcp/task_store.hpp"
#include "shield/mcp/tool.hpp"
#include "shield/util/cancellation.hpp"
#include "shield/util/clock.hpp"

namespace shield::metrics {
class Metrics;
}

namespace shield::mcp {

// The way back to the client for one JSON-RPC request. Implemented by each transport
// (an SSE stream, a plain JSON body, a stdio line writer). Calls may come from inside
// Engine::handle (methods answered at once) or later from an executor thread (tools and
// other coroutine handlers), and must not block.
class RequestChannel {
 public:
  virtual ~RequestChannel() = default;
  // A notification tied to this request (progress, log message), sent before the response.
  virtual void notify(Json notification) = 0;
  // The response (result or error). For a request, exactly one of respond() and
  // cancelled() is called, exactly once; neither is called for notifications.
  virtual void respond(Json response) = 0;
  // The client cancelled the request (notifications/cancelled): the spec says no response
  // is due, so the transport just releases what it holds for it (e.g. ends the SSE stream).
  virtual void cancelled() = 0;
};

struct RequestScope {
  std::shared_ptr<Session> session;  // null for stateless (2026-07-28) requests
  // Legacy: the MCP-Protocol-Version header (informational; the session's revision rules).
  // Stateless: the header verbatim, compared with `_meta` (empty skips the comparison).
  std::string protocol_version;
  std::string caller = "anonymous";    // authenticated principal
  CancellationToken transport_cancel;  // closed stream, DELETE, shutdown
  std::shared_ptr<RequestChannel> channel;
};

struct ServerIdentity {
  std::string name = "shield-mcp";
  std::string title = "shield-mcp";
  std::string version;
  std::string instructions;
};

struct EngineOptions {
  ServerIdentity identity;
  std::size_t page_size = 50;         // items per list page; 0 means one page
  std::int64_t list_ttl_ms = 60'000;  // 2026-07-28 ttlMs of lists and server/discover
  // The in-memory task store the engine makes when it is given none.
  InMemoryTaskStoreOptions tasks;
};

// Tasks: tools whose execution.taskSupport is "optional" or "required" can run as tasks.
// On 2025-11-25 a client asks for one with params.task and uses tasks/get, tasks/result,
// tasks/list and tasks/cancel; on 2026-07-28 (extension io.modelcontextprotocol/tasks) the
// server makes one whenever the request declares the extension, and the client uses
// tasks/get, tasks/update and tasks/cancel. A tool's tasks live in its own task_store, or
// else in the engine's `task_store`; tasks/* find a task in whichever store has it.
//
// Ownership: the registry and the session store are borrowed and must outlive every
// handler the engine started (stop and drain the executor before destroying them).
class Engine {
 public:
  // `task_store`: where tasks of tools without a store of their own live; null makes an
  // InMemoryTaskStore on the system clock with options.tasks.
  Engine(EngineOptions options, Registry& registry, SessionStore& sessions,
         boost::asio::any_io_executor executor, metrics::Metrics* metrics = nullptr,
         std::shared_ptr<TaskStore> task_store = nullptr);

  // Handles one JSON-RPC message: a request (answered exactly once through
  // scope.channel->respond, or ended by cancelled()), a notification (never answered), or
  // a response to a server-initiated request (ignored for now). A malformed message gets
  // -32600 through respond(), with its id when one could be read and null otherwise
  // (classify() tells a transport beforehand whether an answer will come).
  //
  // Which revision rules a request:
  //  - scope.session set and initialized (or the request is initialize): the session's
  //    revision; results are exactly the legacy shapes.
  //  - scope.session null, or set but never initialized while the request carries
  //    `_meta` io.modelcontextprotocol/protocolVersion (stdio's implicit session): the
  //    stateless revision. `_meta` must hold protocolVersion and clientCapabilities (-32602),
  //    scope.protocol_version — the MCP-Protocol-Version header verbatim, empty for stdio —
  //    must equal the `_meta` one (-32020), and it must be one we serve statelessly (-32022).
  //    Results carry resultType, cacheable ones ttlMs and cacheScope.
  void handle(Json message, RequestScope scope);

  // The revisions this engine speaks, oldest first, and its newest (2026-07-28).
  static const std::vector<std::string>& supported_versions();
  static const std::string& latest_version();
  // What initialize answers for a requested revision: the same if it is a supported
  // session revision, else our newest session revision (2025-11-25): initialize does not
  // exist in the stateless 2026-07-28.
  static std::string negotiate(const std::string& requested);
  // True for 2026-07-28 and later (stateless, `_meta`-carried version).
  static bool is_stateless(const std::string& version);

  [[nodiscard]] Registry& registry() { return registry_; }
  [[nodiscard]] SessionStore& sessions() { return sessions_; }

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
  Registry& registry_;
  SessionStore& sessions_;
};

}  // namespace shield::mcp

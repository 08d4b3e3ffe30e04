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

#include "shield/mcp/registry.hpp"
#include "shield/mcp/session.hpp"
#include "shield/mcp/tool.hpp"
#include "shield/util/cancellation.hpp"
#include "shield/util/clock.hpp"

namespace shield::metrics {
class Metrics;
}

namespace shield::mcp {

// The way back to the client for one JSON-RPC request. Implemented by each transport
// (an SSE stream, a plain JSON body, a stdio line writer).
class RequestChannel {
 public:
  virtual ~RequestChannel() = default;
  // A notification tied to this request (progress, log message), sent before the response.
  virtual void notify(Json notification) = 0;
  // The response (result or error). Called exactly once per request, never for notifications.
  virtual void respond(Json response) = 0;
};

struct RequestScope {
  std::shared_ptr<Session> session;    // null for stateless (2026-07-28) requests
  std::string protocol_version;        // the session's, or the request's own on 2026-07-28
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
  std::size_t page_size = 50;
  std::int64_t list_ttl_ms = 60'000;
};

class Engine {
 public:
  Engine(EngineOptions options, Registry& registry, SessionStore& sessions,
         boost::asio::any_io_executor executor, metrics::Metrics* metrics = nullptr);

  // Handles one JSON-RPC message: a request (answered exactly once through
  // scope.channel->respond), a notification (never answered), or a response to a
  // server-initiated request. Malformed messages get -32600 when they carry an id.
  void handle(Json message, RequestScope scope);

  // The revisions this engine speaks, oldest first, and its latest.
  static const std::vector<std::string>& supported_versions();
  static const std::string& latest_version();
  // What initialize answers for a requested revision: the same if supported, else latest.
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

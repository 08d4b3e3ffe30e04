#pragma once
// MCP's Streamable HTTP transport on one endpoint (/mcp), for every supported revision:
// legacy session-based (2025-03-26 .. 2025-11-25: Mcp-Session-Id, SSE streams with event
// ids and Last-Event-ID resume, GET stream, DELETE) and stateless 2026-07-28 (per-request
// `_meta`, Mcp-Method / Mcp-Name header checks). It turns HTTP exchanges into engine calls
// and engine output into JSON or SSE; it knows nothing of tools.
//
// A POST's answer is plain JSON unless something must go out before it (progress, log
// messages) or the call outlives a keep-alive interval; then it becomes an SSE stream.
// A stream whose client goes away trips the cancellation token of the call it carries.
//
// Threading: handle() is called from any io_context thread; internal state is locked.
// Errors: every refusal is an HTTP status with a JSON-RPC error body that says what was
// wrong and what to do instead.
#include <memory>

#include <boost/asio/io_context.hpp>

#include "shield/config/config.hpp"
#include "shield/http/exchange.hpp"
#include "shield/mcp/engine.hpp"

namespace shield::transport {

class StreamableHttpTransport {
 public:
  StreamableHttpTransport(boost::asio::io_context& io, mcp::Engine& engine,
                          const config::Config& config, metrics::Metrics* metrics);
  ~StreamableHttpTransport();

  // Starts the periodic session-expiry sweep and SSE keep-alives.
  void start();
  // The handler for the /mcp route. `caller` is the principal the router authenticated.
  void handle(http::Request request, std::shared_ptr<http::Exchange> exchange,
              const std::string& caller);
  // First step of a graceful shutdown: closes streams that carry no call in flight (GET
  // streams, idle SSE) so draining connections is not held open by them; calls go on.
  void close_idle_streams();
  // Cancels in-flight calls and closes every open stream (end of the grace period).
  void shutdown();

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace shield::transport

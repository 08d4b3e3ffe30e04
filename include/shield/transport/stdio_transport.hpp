#pragma once
// MCP over stdin/stdout: newline-delimited JSON-RPC, one implicit session. Nothing but
// JSON-RPC is ever written to stdout (logs go to stderr). Reading stdin never blocks the
// io_context.
//
// Threading: construct and start() on the main thread; output is serialised internally.
#include <functional>
#include <memory>

#include <boost/asio/io_context.hpp>

#include "shield/config/config.hpp"
#include "shield/mcp/engine.hpp"

namespace shield::transport {

class StdioTransport {
 public:
  // `on_eof` runs once when stdin reaches end of file (the client went away).
  // `in_fd` / `out_fd` default to stdin / stdout; tests pass pipes.
  StdioTransport(boost::asio::io_context& io, mcp::Engine& engine, const config::Config& config,
                 std::function<void()> on_eof, int in_fd = 0, int out_fd = 1);
  ~StdioTransport();
  // Starts reading in_fd and writing out_fd.
  void start();
  // Stops reading, cancels in-flight calls; pending output is flushed.
  void stop();

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace shield::transport

#pragma once
// The daemon's wiring: one io_context and its threads, the MCP listener (router, access
// policy, Streamable HTTP transport), the metrics listener, the engine and its registry,
// signals and graceful shutdown. src/main.cpp parses flags and hands a Config here; the
// conformance fixture server reuses the same wiring with its own registrations.
//
// Threading: construct, register, start() and run() from the main thread.
#include <memory>

#include "shield/config/config.hpp"
#include "shield/mcp/registry.hpp"
#include "shield/util/host_port.hpp"

namespace shield::app {

class Daemon {
 public:
  explicit Daemon(config::Config config);
  ~Daemon();
  Daemon(const Daemon&) = delete;
  Daemon& operator=(const Daemon&) = delete;

  // Register tools, resources and prompts here before start().
  mcp::Registry& registry();

  // Binds the MCP and metrics listeners. Throws std::runtime_error naming the address and
  // the OS reason when a bind fails (start-up is the one place exceptions are used).
  void start();
  [[nodiscard]] HostPort mcp_address() const;
  [[nodiscard]] HostPort metrics_address() const;

  // Serves until SIGTERM/SIGINT or stop(), then shuts down gracefully within
  // server.shutdown_grace. Returns the process exit code (0 on a clean stop).
  int run();
  // Serves MCP over stdin/stdout (newline-delimited JSON-RPC) until stdin closes or a
  // signal; logs go to stderr only. No HTTP listener is opened (a desktop client may start
  // several instances); the metrics listener runs if enabled and its port is free.
  // Call instead of start() + run().
  int run_stdio();
  // Asks run()/run_stdio() to shut down (thread-safe, async-signal-unsafe).
  void stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace shield::app

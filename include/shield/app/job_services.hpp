#pragma once
// The durable side of the daemon, built once from [jobs] and [sink]: the job engine with its
// SQLite journal, the sink extracted documents go to, a small thread pool for the disk I/O
// and parsing that must stay off the event loop, the MCP task view of the jobs, and the job
// runners. The daemon opens it before it binds a listener and stops it before the io_context
// stops, so no job is accepted that the journal did not take and none is lost at shutdown.
//
// Threading: construct, add_to() and add_routes() on the main thread before the io_context
// runs; start() and stop() run on the io_context. Ownership: the backends and metrics are
// borrowed and must outlive this object.
#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>

#include "shield/config/config.hpp"
#include "shield/http/router.hpp"
#include "shield/jobs/job_engine.hpp"
#include "shield/metrics/metrics.hpp"
#include "shield/tools/tool_set.hpp"
#include "shield/util/error.hpp"

namespace shield::app {

class JobServices {
 public:
  // Throws std::runtime_error naming the state directory or the [sink] key when the journal
  // cannot be opened (permissions, corruption, another daemon holding it) or the sink
  // settings cannot work (start-up is the one place exceptions are used).
  // `backends`: the daemon's, for the network sinks (tools::ToolDependencies carries them).
  JobServices(boost::asio::io_context& io, const config::Config& config,
              const tools::ToolDependencies& backends, metrics::Metrics& metrics);
  ~JobServices();
  JobServices(const JobServices&) = delete;
  JobServices& operator=(const JobServices&) = delete;

  // Gives the tools the engine, the sink, the task store and the public base URL.
  void add_to(tools::ToolDependencies& dependencies, std::function<std::string()> base_url);
  // GET/DELETE /jobs/{id}, GET /jobs/{id}/events and POST /ingest.
  void add_routes(http::Router& router, std::function<std::string()> base_url);

  // Recovers the journal (queued jobs run, running ones resume or are marked interrupted) and
  // starts the runners.
  boost::asio::awaitable<Result<void>> start();
  // Trips every running job for shutdown (they stay resumable) and waits at most `grace`.
  boost::asio::awaitable<void> stop(std::chrono::milliseconds grace);

  [[nodiscard]] jobs::JobEngine& engine();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace shield::app

#include "shield/app/daemon.hpp"

#include <spdlog/spdlog.h>

#include <atomic>
#include <csignal>
#include <future>
#include <stdexcept>
#include <thread>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_future.hpp>
#include <nlohmann/json.hpp>

#include "shield/app/backend_set.hpp"
#include "shield/app/health_routes.hpp"
#include "shield/app/job_services.hpp"
#include "shield/build_info.hpp"
#include "shield/http/router.hpp"
#include "shield/http/server.hpp"
#include "shield/mcp/engine.hpp"
#include "shield/metrics/metrics.hpp"
#include "shield/tools/tool_set.hpp"
#include "shield/transport/stdio_transport.hpp"
#include "shield/transport/streamable_http_transport.hpp"
#include "shield/util/clock.hpp"

namespace shield::app {
namespace asio = boost::asio;

namespace {

// Runs `work` on `io` from the main thread before the daemon's threads start, so start-up
// steps that are coroutines (job recovery) finish before the first request is accepted.
template <class T>
T run_before_serving(asio::io_context& io, asio::awaitable<T> work) {
  auto done = asio::co_spawn(io, std::move(work), asio::use_future);
  while (done.wait_for(std::chrono::seconds(0)) != std::future_status::ready) {
    if (io.run_one() == 0) break;
  }
  return done.get();
}

}  // namespace

struct Daemon::Impl {
  config::Config config;
  unsigned threads;
  asio::io_context io;
  metrics::Metrics metrics{build::kVersion};
  mcp::Registry registry;
  mcp::SessionStore sessions;
  std::unique_ptr<BackendSet> backends;
  // After the backends (its sink calls them) and before the engine (its tools use the jobs).
  std::unique_ptr<JobServices> jobs;
  std::unique_ptr<mcp::Engine> engine;
  std::unique_ptr<transport::StreamableHttpTransport> transport;
  std::unique_ptr<http::Router> router;
  std::unique_ptr<http::Server> mcp_server;
  std::unique_ptr<http::Router> metrics_router;
  std::unique_ptr<http::Server> metrics_server;
  std::unique_ptr<transport::StdioTransport> stdio;
  HostPort mcp_bound;
  HostPort metrics_bound;
  asio::signal_set signals{io, SIGINT, SIGTERM};
  asio::steady_timer grace_timer{io};
  std::atomic<bool> stopping{false};
  std::atomic<bool> started{false};

  explicit Impl(config::Config c)
      : config(std::move(c)),
        threads(config.server.threads != 0 ? config.server.threads
                                           : std::max(1U, std::thread::hardware_concurrency())),
        io(static_cast<int>(threads)),
        sessions(SystemClock::instance(), config.mcp.max_sessions,
                 config.mcp.session_idle_timeout) {}

  void build_engine() {
    backends = std::make_unique<BackendSet>(io, config, metrics);
    tools::ToolDependencies dependencies = backends->tool_dependencies(config);
    jobs = std::make_unique<JobServices>(io, config, dependencies, metrics);
    jobs->add_to(dependencies, [this] { return public_base_url(); });
    if (auto registered = tools::register_tools(registry, dependencies); !registered) {
      throw std::runtime_error("cannot register tools: " + registered.error().message);
    }
    for (const auto& tool : registry.tools()) metrics.declare_tool(tool.name);
    mcp::EngineOptions options;
    options.identity.name = config.mcp.server_name;
    options.identity.title = config.mcp.server_name;
    options.identity.version = build::kVersion;
    options.page_size = config.mcp.page_size;
    options.list_ttl_ms = config.mcp.list_ttl_ms;
    engine =
        std::make_unique<mcp::Engine>(options, registry, sessions, io.get_executor(), &metrics);
  }

  // Recovers the job journal: what was queued or running before a crash or a restart runs
  // again before anything new is accepted.
  void start_jobs() {
    auto recovered = run_before_serving(io, jobs->start());
    if (!recovered) {
      throw std::runtime_error("cannot start the job engine: " + recovered.error().message);
    }
  }

  // The prefix of track_url: server.public_url, else the bound MCP address. Without an HTTP
  // listener (stdio) and no public_url, track_url stays a path.
  std::string public_base_url() const {
    std::string url = config.server.public_url;
    if (url.empty() && mcp_server) url = "http://" + mcp_bound.to_string();
    while (!url.empty() && url.back() == '/') url.pop_back();
    return url;
  }

  void start_mcp_listener() {
    transport = std::make_unique<transport::StreamableHttpTransport>(io, *engine, config, &metrics);
    router = std::make_unique<http::Router>(http::AccessPolicy(config.server, config.server.listen),
                                            &metrics);
    router->add("/mcp", {.check_host_origin = true, .require_auth = true},
                [this](http::Request request, std::shared_ptr<http::Exchange> exchange,
                       std::string principal) {
                  transport->handle(std::move(request), std::move(exchange), principal);
                });
    jobs->add_routes(*router, [this] { return public_base_url(); });
    add_health_routes(*router, HealthSources{
                                   .listeners = [this] { return listeners_json(); },
                                   .sessions = [this] { return sessions.size(); },
                                   .stopping = [this] { return stopping.load(); },
                                   .backends = [this] { return backends->readiness(); },
                                   .degraded = [this] { return backends->degraded(); },
                               });
    http::ServerLimits limits = http::ServerLimits::from(config.server);
    // Uploads are documents, far larger than any JSON-RPC message.
    limits.body_limit_rules.push_back(
        {"/ingest", config.jobs.max_upload_bytes, "jobs.max_upload_bytes"});
    mcp_server = std::make_unique<http::Server>(
        io, "mcp", std::move(limits),
        [this](http::Request request, std::shared_ptr<http::Exchange> exchange) {
          (*router)(std::move(request), std::move(exchange));
        });
    auto bound = mcp_server->start(config.server.listen);
    if (!bound) {
      throw std::runtime_error("cannot listen for MCP on " + config.server.listen.to_string() +
                               ": " + bound.error().message);
    }
    mcp_bound = *bound;
    transport->start();
    if (!mcp_bound.is_loopback() && !router->policy().auth_enabled()) {
      spdlog::warn(
          "MCP listener bound to non-loopback address {} without authentication: anyone who "
          "can reach it can call every tool; set server.auth_tokens",
          mcp_bound.to_string());
    }
    spdlog::info("MCP endpoint http://{}/mcp ({} threads)", mcp_bound.to_string(), threads);
  }

  // `required`: a bind failure is fatal (HTTP mode) or only a warning (stdio mode).
  void start_metrics_listener(bool required) {
    if (!config.metrics.enabled) return;
    // Prometheus scrapes by IP from outside: no Host/Origin or bearer checks here, and no
    // api_requests_total for the scrapes themselves.
    metrics_router = std::make_unique<http::Router>(
        http::AccessPolicy(config.server, config.metrics.listen), nullptr);
    add_metrics_route(*metrics_router, metrics);
    metrics_server = std::make_unique<http::Server>(
        io, "metrics", http::ServerLimits::from(config.server),
        [this](http::Request request, std::shared_ptr<http::Exchange> exchange) {
          (*metrics_router)(std::move(request), std::move(exchange));
        });
    auto bound = metrics_server->start(config.metrics.listen);
    if (!bound && !required) {
      spdlog::warn("metrics listener not started on {}: {}", config.metrics.listen.to_string(),
                   bound.error().message);
      metrics_server.reset();
      return;
    }
    if (!bound) {
      throw std::runtime_error("cannot listen for metrics on " + config.metrics.listen.to_string() +
                               ": " + bound.error().message);
    }
    metrics_bound = *bound;
    spdlog::info("metrics endpoint http://{}/metrics", metrics_bound.to_string());
  }

  nlohmann::json listeners_json() const {
    nlohmann::json out = {{"mcp", mcp_bound.to_string()}};
    if (metrics_server) out["metrics"] = metrics_bound.to_string();
    if (stdio) out["stdio"] = true;
    return out;
  }

  void watch_signals() {
    signals.async_wait([this](const boost::system::error_code& ec, int signo) {
      if (ec) return;
      spdlog::info("received signal {}, shutting down", signo);
      begin_shutdown();
    });
  }

  // Stop accepting, let in-flight calls finish and running jobs step back (they stay queued
  // for the next start) within the grace period, then close what is left and let io.run()
  // return.
  void begin_shutdown() {
    if (stopping.exchange(true)) return;
    signals.cancel();
    if (stdio) stdio->stop();
    auto finished = std::make_shared<std::atomic<bool>>(false);
    auto finish = [this, finished] {
      if (finished->exchange(true)) return;
      grace_timer.cancel();
      if (transport) transport->shutdown();
      if (backends) backends->shutdown();
      if (mcp_server) mcp_server->close_all();
      if (metrics_server) metrics_server->close_all();
      io.stop();
    };
    // Finish once the connections drained (HTTP) and the jobs stopped.
    auto waiting = std::make_shared<std::atomic<int>>(mcp_server ? 2 : 1);
    auto one_done = [this, waiting, finish] {
      if (waiting->fetch_sub(1) == 1) asio::post(io, finish);
    };
    if (mcp_server) mcp_server->stop_accepting();
    if (metrics_server) metrics_server->stop_accepting();
    asio::co_spawn(io, jobs->stop(config.server.shutdown_grace),
                   [one_done](const std::exception_ptr&) { one_done(); });
    if (!mcp_server) return;
    // Streams that carry no call (GET streams) would otherwise hold the drain open.
    if (transport) transport->close_idle_streams();
    grace_timer.expires_after(config.server.shutdown_grace);
    grace_timer.async_wait([this, finish](const boost::system::error_code& ec) {
      if (ec) return;
      spdlog::warn("shutdown grace period of {} ms elapsed; closing remaining connections",
                   config.server.shutdown_grace.count());
      finish();
    });
    mcp_server->drain(one_done);
  }

  void run_threads() {
    std::vector<std::thread> pool;
    pool.reserve(threads - 1);
    for (unsigned i = 1; i < threads; ++i) pool.emplace_back([this] { io.run(); });
    io.run();
    for (auto& t : pool) t.join();
  }
};

Daemon::Daemon(config::Config config) : impl_(std::make_unique<Impl>(std::move(config))) {}
Daemon::~Daemon() = default;

mcp::Registry& Daemon::registry() {
  return impl_->registry;
}

void Daemon::start() {
  impl_->build_engine();
  impl_->start_jobs();
  impl_->start_mcp_listener();
  impl_->start_metrics_listener(true);
  impl_->watch_signals();
  impl_->started = true;
}

HostPort Daemon::mcp_address() const {
  return impl_->mcp_bound;
}
HostPort Daemon::metrics_address() const {
  return impl_->metrics_bound;
}

int Daemon::run() {
  if (!impl_->started) start();
  impl_->run_threads();
  spdlog::info("shut down cleanly");
  return 0;
}

int Daemon::run_stdio() {
  impl_->build_engine();
  impl_->start_jobs();
  impl_->start_metrics_listener(false);
  impl_->watch_signals();
  impl_->started = true;
  impl_->stdio =
      std::make_unique<transport::StdioTransport>(impl_->io, *impl_->engine, impl_->config, [this] {
        spdlog::info("stdin closed");
        impl_->begin_shutdown();
      });
  impl_->stdio->start();
  impl_->run_threads();
  return 0;
}

void Daemon::stop() {
  asio::post(impl_->io, [this] { impl_->begin_shutdown(); });
}

}  // namespace shield::app

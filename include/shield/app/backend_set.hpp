#pragma once
// The services the daemon calls, built once from the configuration: the one outbound HTTP
// client, a Backend (breaker + bulkhead + retries + metrics) per service, and the embedder.
// The tools get raw pointers through tools::ToolDependencies; this set owns them.
//
// Threading: built on the main thread before the io_context runs; afterwards readiness() is
// safe from any thread. shutdown() must run while the io_context still runs.
#include <map>
#include <memory>
#include <string>

#include <boost/asio/io_context.hpp>
#include <nlohmann/json.hpp>

#include "shield/backend/backend.hpp"
#include "shield/backend/embedder.hpp"
#include "shield/config/config.hpp"
#include "shield/http/client.hpp"
#include "shield/tools/tool_set.hpp"

namespace shield::app {

class BackendSet {
 public:
  // Throws std::runtime_error naming the section when a backend's settings are invalid
  // (start-up is the one place exceptions are used).
  BackendSet(boost::asio::io_context& io, const config::Config& config, metrics::Metrics& metrics);
  ~BackendSet();

  [[nodiscard]] tools::ToolDependencies tool_dependencies(const config::Config& config);
  // {name: {state, url, consecutive_failures, retry_after_s, last_failure}} for /readyz.
  [[nodiscard]] nlohmann::json readiness() const;
  // True when any breaker is open: the daemon serves, but some tools fail fast.
  [[nodiscard]] bool degraded() const;
  void shutdown();

 private:
  http::Client client_;
  std::map<std::string, std::unique_ptr<backend::Backend>, std::less<>> backends_;
  std::unique_ptr<backend::Embedder> embedder_;
};

}  // namespace shield::app

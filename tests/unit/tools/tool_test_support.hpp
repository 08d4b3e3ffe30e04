#pragma once
// What the tool tests share: Backends that are never reached (or reach a closed loopback
// port), an Embedder fake, and a way to run a handler to completion.
#include <chrono>
#include <functional>
#include <future>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_future.hpp>

#include "shield/backend/backend.hpp"
#include "shield/backend/embedder.hpp"
#include "shield/config/config.hpp"
#include "shield/http/client.hpp"
#include "shield/mcp/registry.hpp"
#include "shield/metrics/metrics.hpp"
#include "shield/tools/tool_set.hpp"

namespace shield::tools::testing {

// Records every call; answers with `dims`-sized vectors, or with `failure` when set.
class FakeEmbedder final : public backend::Embedder {
 public:
  explicit FakeEmbedder(std::size_t dims = 4) : dims_(dims) {}

  boost::asio::awaitable<backend::CallResult<backend::Embeddings>> embed(
      std::vector<std::string> texts, CancellationToken) override {
    calls.push_back(texts);
    if (failure) co_return tl::unexpected(*failure);
    backend::Embeddings out;
    for (std::size_t i = 0; i < texts.size(); ++i) out.emplace_back(dims_, 0.5F);
    co_return out;
  }
  [[nodiscard]] std::optional<std::size_t> dimensions() const override { return dims_; }
  [[nodiscard]] const std::string& provider() const override { return provider_; }
  [[nodiscard]] const std::string& model() const override { return model_; }

  std::vector<std::vector<std::string>> calls;
  std::optional<backend::BackendError> failure;

 private:
  std::size_t dims_;
  std::string provider_ = "fake";
  std::string model_ = "fake-model";
};

// A port on 127.0.0.1 nothing listens on: bound, then closed.
inline std::uint16_t closed_port() {
  boost::asio::io_context io;
  boost::asio::ip::tcp::acceptor acceptor(
      io, boost::asio::ip::tcp::endpoint(boost::asio::ip::address_v4::loopback(), 0));
  const std::uint16_t port = acceptor.local_endpoint().port();
  acceptor.close();
  return port;
}

class ToolFixture : public ::testing::Test {
 protected:
  ToolFixture() : client_(io_) {
    const std::string dead = "http://127.0.0.1:" + std::to_string(closed_port());
    qdrant_ = make_backend("qdrant", "Qdrant", dead);
    orchestrator_ = make_backend("orchestrator", "The orchestrator", dead);
    lightrag_ = make_backend("lightrag", "LightRAG", dead);
  }

  std::unique_ptr<backend::Backend> make_backend(const std::string& name,
                                                 const std::string& display,
                                                 const std::string& url) {
    backend::BackendSettings settings;
    settings.name = name;
    settings.display_name = display;
    settings.base_url = url;
    settings.retry.max_attempts = 1;
    return std::make_unique<backend::Backend>(std::move(settings), client_, metrics_,
                                              SystemClock::instance());
  }

  ToolDependencies dependencies() {
    ToolDependencies deps;
    deps.config = &config_;
    deps.qdrant = qdrant_.get();
    deps.embedder = &embedder_;
    deps.orchestrator = orchestrator_.get();
    deps.lightrag = lightrag_.get();
    return deps;
  }

  mcp::Registry registered() {
    mcp::Registry registry;
    const auto added = register_tools(registry, dependencies());
    EXPECT_TRUE(added) << (added ? "" : added.error().message);
    return registry;
  }

  // Runs the tool's handler to completion on this fixture's loop.
  mcp::ToolResult call(const mcp::Registry& registry, const std::string& tool, mcp::Json arguments,
                       CancellationToken cancel = {}) {
    const mcp::ToolDefinition* definition = registry.find_tool(tool);
    if (definition == nullptr) {
      ADD_FAILURE() << "no tool " << tool;
      return mcp::ToolResult::error("test", "no tool");
    }
    mcp::ToolContext context;
    context.cancel = std::move(cancel);
    context.progress = [this](double done, std::optional<double> total, const std::string&) {
      progress.emplace_back(done, total.value_or(-1));
    };
    context.log = [](mcp::LogLevel, const std::string&, const mcp::Json&) {};
    context.executor = io_.get_executor();
    auto future = boost::asio::co_spawn(io_, definition->handler(std::move(arguments), context),
                                        boost::asio::use_future);
    io_.restart();
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (future.wait_for(std::chrono::seconds(0)) != std::future_status::ready &&
           std::chrono::steady_clock::now() < deadline) {
      io_.run_one_for(std::chrono::milliseconds(50));
    }
    if (future.wait_for(std::chrono::seconds(0)) != std::future_status::ready) {
      ADD_FAILURE() << tool << " did not finish";
      return mcp::ToolResult::error("test", "did not finish");
    }
    return future.get();
  }

  boost::asio::io_context io_;
  http::Client client_;
  metrics::Metrics metrics_{"test"};
  config::Config config_;
  FakeEmbedder embedder_;
  std::unique_ptr<backend::Backend> qdrant_;
  std::unique_ptr<backend::Backend> orchestrator_;
  std::unique_ptr<backend::Backend> lightrag_;
  std::vector<std::pair<double, double>> progress;
};

inline std::string error_code(const mcp::ToolResult& result) {
  if (!result.is_error || !result.structured) return "(not an error)";
  return result.structured->at("error").value("code", "(no code)");
}

}  // namespace shield::tools::testing

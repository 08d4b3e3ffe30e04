#pragma once
// The engine under test with a recording channel, an io_context polled by hand (never
// blocking, never sleeping) and helpers to speak both wires.
#include "shield/mcp/engine.hpp"

#include <chrono>
#include <mutex>
#include <sstream>

#include <gtest/gtest.h>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "shield/mcp/json_rpc.hpp"
#include "shield/metrics/metrics.hpp"

namespace shield::mcp::test_support {

namespace asio = boost::asio;

// What the engine sent back for one request, in order.
class RecordingChannel : public RequestChannel {
 public:
  void notify(Json notification) override {
    std::lock_guard lock(mutex_);
    notifications_.push_back(std::move(notification));
  }
  void respond(Json response) override {
    std::lock_guard lock(mutex_);
    responses_.push_back(std::move(response));
  }
  void cancelled() override {
    std::lock_guard lock(mutex_);
    ++cancelled_;
  }

  std::vector<Json> notifications() const {
    std::lock_guard lock(mutex_);
    return notifications_;
  }
  std::vector<Json> responses() const {
    std::lock_guard lock(mutex_);
    return responses_;
  }
  int cancelled_count() const {
    std::lock_guard lock(mutex_);
    return cancelled_;
  }
  // The one response; fails the test when there is not exactly one.
  Json response() const {
    const auto all = responses();
    EXPECT_EQ(all.size(), 1u);
    return all.empty() ? Json() : all.front();
  }

 private:
  mutable std::mutex mutex_;
  std::vector<Json> notifications_;
  std::vector<Json> responses_;
  int cancelled_ = 0;
};

inline Json text_block(const std::string& text) {
  return Json{{"type", "text"}, {"text", text}};
}

// A handler that parks until its token is tripped, like a real tool waiting on a backend.
inline asio::awaitable<ToolResult> wait_for_cancel(Json, ToolContext context, bool* saw_cancel) {
  asio::steady_timer timer(context.executor, std::chrono::hours(1));
  const auto hook = context.cancel.on_cancel([&timer] { timer.cancel(); });
  co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
  context.cancel.forget(hook);
  *saw_cancel = context.cancel.cancelled();
  co_return ToolResult::text("finished anyway");
}

class EngineTest : public ::testing::Test {
 protected:
  static constexpr const char* kStateless = "2026-07-28";

  void SetUp() override {
    add_tool("echo", R"({"type":"object","properties":{"text":{"type":"string"}}})",
             [](Json arguments, ToolContext) -> asio::awaitable<ToolResult> {
               co_return ToolResult::text("echo:" + arguments.value("text", std::string()));
             });
  }

  void add_tool(const std::string& name, const char* schema, ToolHandler handler,
                std::optional<Json> output_schema = std::nullopt) {
    ToolDefinition tool;
    tool.name = name;
    tool.title = name + " title";
    tool.description = name + " description";
    tool.input_schema = Json::parse(schema);
    tool.output_schema = std::move(output_schema);
    tool.handler = std::move(handler);
    auto added = registry_.add_tool(std::move(tool));
    ASSERT_TRUE(added) << added.error().message;
  }

  void add_catalog() {
    auto read_static = [](std::string uri) -> asio::awaitable<Result<Json>> {
      co_return Json::array(
          {Json{{"uri", uri}, {"mimeType", "text/plain"}, {"text", "static content"}}});
    };
    ASSERT_TRUE(registry_.add_resource({"test://static-text", "static-text", "Static",
                                        "A static resource", "text/plain", read_static}));
    auto read_gone = [](std::string) -> asio::awaitable<Result<Json>> {
      co_return fail(ErrorCode::kNotFound, "deleted");
    };
    ASSERT_TRUE(registry_.add_resource({"test://gone", "gone", "", "", "", read_gone}));
    auto read_template =
        [](std::string uri,
           std::map<std::string, std::string> vars) -> asio::awaitable<Result<Json>> {
      co_return Json::array({Json{{"uri", uri}, {"text", "id=" + vars["id"]}}});
    };
    ASSERT_TRUE(registry_.add_resource_template({"test://template/{id}/data", "template", "",
                                                 "Template", "application/json", read_template}));
    auto greet = [](std::map<std::string, std::string> args) -> asio::awaitable<Result<Json>> {
      co_return Json{
          {"messages", Json::array({Json{
                           {"role", "user"},
                           {"content", text_block("hi " + args["arg1"] + " " + args["arg2"])}}})}};
    };
    ASSERT_TRUE(registry_.add_prompt({"greet",
                                      "Greet",
                                      "A greeting",
                                      {{"arg1", "first", true}, {"arg2", "second", true}},
                                      greet}));
    registry_.set_completion([](Json ref, std::string argument, std::string value,
                                Json) -> asio::awaitable<Result<Json>> {
      co_return Json{
          {"values", Json::array({ref["name"].get<std::string>() + ":" + argument + "=" + value})},
          {"total", 1},
          {"hasMore", false}};
    });
  }

  Engine& engine() {
    if (!engine_) {
      EngineOptions options;
      options.identity.version = "1.2.3";
      options.identity.instructions = "Use the tools.";
      options.page_size = page_size_;
      options.list_ttl_ms = 5000;
      engine_ =
          std::make_unique<Engine>(options, registry_, store_, io_.get_executor(), metrics_.get());
    }
    return *engine_;
  }

  std::shared_ptr<Session> new_session() {
    auto session = store_.create();
    EXPECT_TRUE(session);
    return *session;
  }

  // A session that went through initialize at `version`.
  std::shared_ptr<Session> initialized_session(const std::string& version = "2025-11-25") {
    auto session = new_session();
    auto channel = send(Json{{"jsonrpc", "2.0"},
                             {"id", 0},
                             {"method", "initialize"},
                             {"params",
                              {{"protocolVersion", version},
                               {"capabilities", {{"sampling", Json::object()}}},
                               {"clientInfo", {{"name", "test-client"}, {"version", "9"}}}}}},
                        session);
    EXPECT_TRUE(channel->response().contains("result")) << channel->response().dump();
    return session;
  }

  std::shared_ptr<RecordingChannel> send(Json message, std::shared_ptr<Session> session,
                                         const std::string& version = "",
                                         CancellationToken transport_cancel = {}) {
    auto channel = std::make_shared<RecordingChannel>();
    RequestScope scope;
    scope.session = std::move(session);
    scope.protocol_version = version;
    scope.caller = "tester";
    scope.transport_cancel = std::move(transport_cancel);
    scope.channel = channel;
    engine().handle(std::move(message), std::move(scope));
    run();
    return channel;
  }

  // Runs what is ready; never blocks, so a parked handler stays parked.
  void run() {
    io_.restart();
    io_.poll();
  }

  static Json request(Json id, const std::string& method, Json params = Json::object()) {
    return Json{{"jsonrpc", "2.0"}, {"id", std::move(id)}, {"method", method}, {"params", params}};
  }

  static Json stateless_meta(Json extra = Json::object()) {
    Json meta{{"io.modelcontextprotocol/protocolVersion", kStateless},
              {"io.modelcontextprotocol/clientInfo", {{"name", "t"}, {"version", "1"}}},
              {"io.modelcontextprotocol/clientCapabilities", Json::object()}};
    meta.update(extra);
    return meta;
  }

  // A 2026-07-28 request: no session, `_meta` in params, the header version in the scope.
  std::shared_ptr<RecordingChannel> send_stateless(Json id, const std::string& method,
                                                   Json params = Json::object(),
                                                   Json meta_extra = Json::object()) {
    params["_meta"] = stateless_meta(std::move(meta_extra));
    return send(request(std::move(id), method, std::move(params)), nullptr, kStateless);
  }

  std::shared_ptr<RecordingChannel> call_tool(const std::shared_ptr<Session>& session, Json id,
                                              const std::string& name,
                                              std::optional<Json> arguments = std::nullopt,
                                              Json meta = Json()) {
    Json params{{"name", name}};
    if (arguments) params["arguments"] = *arguments;
    if (!meta.is_null()) params["_meta"] = meta;
    return send(request(std::move(id), "tools/call", params), session);
  }

  static void expect_error(const Json& response, int code, const std::string& message_part,
                           const Json& id) {
    ASSERT_TRUE(response.contains("error")) << response.dump();
    EXPECT_FALSE(response.contains("result"));
    EXPECT_EQ(response["error"]["code"], code) << response.dump();
    EXPECT_NE(response["error"]["message"].get<std::string>().find(message_part), std::string::npos)
        << response.dump();
    EXPECT_EQ(response["id"], id);
    EXPECT_EQ(response["jsonrpc"], "2.0");
  }

  std::string metrics_line(const std::string& tool, const std::string& status) const {
    std::istringstream text(metrics_->serialize());
    for (std::string line; std::getline(text, line);) {
      if (line.rfind("tool_calls_total{", 0) == 0 &&
          line.find("tool=\"" + tool + "\"") != std::string::npos &&
          line.find("status=\"" + status + "\"") != std::string::npos) {
        return line;
      }
    }
    return {};
  }

  ManualClock clock_;
  Registry registry_;
  SessionStore store_{clock_, 16, std::chrono::minutes(30)};
  asio::io_context io_;
  std::unique_ptr<metrics::Metrics> metrics_ = std::make_unique<metrics::Metrics>("test");
  std::size_t page_size_ = 50;
  std::unique_ptr<Engine> engine_;
};

}  // namespace shield::mcp::test_support

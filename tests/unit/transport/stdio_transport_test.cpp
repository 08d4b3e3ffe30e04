// The stdio transport over a pair of pipes: lines in, lines out, as a client that spawned
// `shield-mcp --stdio` sees them.
#include "shield/transport/stdio_transport.hpp"

#include <poll.h>
#include <unistd.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <map>
#include <memory>
#include <string>
#include <thread>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "shield/mcp/engine.hpp"
#include "shield/util/clock.hpp"

namespace shield::transport {
namespace {

namespace asio = boost::asio;
using mcp::Json;
using ::testing::HasSubstr;

constexpr int kWaitMs = 10'000;

class StdioTransportTest : public ::testing::Test {
 protected:
  StdioTransportTest() : sessions_(SystemClock::instance(), 4, std::chrono::minutes(30)) {
    EXPECT_EQ(::pipe(to_server_), 0);
    EXPECT_EQ(::pipe(from_server_), 0);
    add_tools();
    engine_ = std::make_unique<mcp::Engine>(mcp::EngineOptions{}, registry_, sessions_,
                                            io_.get_executor());
    transport_ = std::make_unique<StdioTransport>(
        io_, *engine_, config_, [this] { eof_.set_value(); }, to_server_[0], from_server_[1]);
    transport_->start();
    runner_ = std::thread([this] { io_.run(); });
  }

  ~StdioTransportTest() override {
    transport_->stop();
    transport_.reset();
    work_.reset();
    io_.stop();
    runner_.join();
    for (int fd : {to_server_[0], to_server_[1], from_server_[0], from_server_[1]}) {
      if (fd >= 0) ::close(fd);
    }
  }

  void add_tools() {
    mcp::ToolDefinition echo;
    echo.name = "echo";
    echo.description = "Echoes its text";
    echo.input_schema = Json{{"type", "object"}, {"properties", {{"text", {{"type", "string"}}}}}};
    echo.handler = [](Json arguments,
                      mcp::ToolContext context) -> asio::awaitable<mcp::ToolResult> {
      context.progress(1, 1, "echoing");
      co_return mcp::ToolResult::text(arguments.value("text", std::string()));
    };
    ASSERT_TRUE(registry_.add_tool(std::move(echo)).has_value());

    mcp::ToolDefinition wait;
    wait.name = "wait";
    wait.description = "Waits until cancelled";
    wait.input_schema = Json{{"type", "object"}};
    wait.handler = [this](Json, mcp::ToolContext context) -> asio::awaitable<mcp::ToolResult> {
      auto timer = std::make_shared<asio::steady_timer>(context.executor, std::chrono::hours(1));
      const auto id = context.cancel.on_cancel([this, timer, token = context.cancel] {
        if (!cancel_reported_.exchange(true)) cancelled_.set_value(token.reason());
        asio::post(timer->get_executor(), [timer] { timer->cancel(); });
      });
      waiting_.set_value();
      co_await timer->async_wait(asio::as_tuple(asio::use_awaitable));
      context.cancel.forget(id);
      co_return mcp::ToolResult::text("done waiting");
    };
    ASSERT_TRUE(registry_.add_tool(std::move(wait)).has_value());
  }

  void send_line(const std::string& line) {
    const std::string data = line + "\n";
    ASSERT_EQ(::write(to_server_[1], data.data(), data.size()), static_cast<ssize_t>(data.size()));
  }
  void send(const Json& message) { send_line(message.dump()); }

  // The next line the server wrote, parsed; fails the test after kWaitMs without one.
  Json receive() {
    for (;;) {
      auto newline = pending_.find('\n');
      if (newline != std::string::npos) {
        std::string line = pending_.substr(0, newline);
        pending_.erase(0, newline + 1);
        auto parsed = Json::parse(line, nullptr, false);
        EXPECT_FALSE(parsed.is_discarded()) << "not JSON on stdout: " << line;
        return parsed;
      }
      pollfd fd{from_server_[0], POLLIN, 0};
      if (::poll(&fd, 1, kWaitMs) <= 0) {
        ADD_FAILURE() << "no output line within " << kWaitMs << " ms";
        return nullptr;
      }
      char buffer[4096];
      const ssize_t n = ::read(from_server_[0], buffer, sizeof buffer);
      if (n <= 0) {
        ADD_FAILURE() << "stdout closed";
        return nullptr;
      }
      pending_.append(buffer, static_cast<std::size_t>(n));
    }
  }

  static Json rpc(Json id, const std::string& method, Json params = Json::object()) {
    return Json{{"jsonrpc", "2.0"},
                {"id", std::move(id)},
                {"method", method},
                {"params", std::move(params)}};
  }

  void initialize(const std::string& version) {
    send(rpc(0, "initialize",
             Json{{"protocolVersion", version},
                  {"capabilities", Json::object()},
                  {"clientInfo", {{"name", "test"}, {"version", "1"}}}}));
    const Json answer = receive();
    EXPECT_EQ(answer["id"], 0);
    EXPECT_EQ(answer["result"]["protocolVersion"], version);
    send(Json{{"jsonrpc", "2.0"}, {"method", "notifications/initialized"}});
  }

  void initialize_without_reading() {
    send(rpc(0, "initialize",
             Json{{"protocolVersion", "2025-11-25"},
                  {"capabilities", Json::object()},
                  {"clientInfo", {{"name", "test"}, {"version", "1"}}}}));
  }

  void close_input() {
    ::close(to_server_[1]);
    to_server_[1] = -1;
  }

  asio::io_context io_{2};
  asio::executor_work_guard<asio::io_context::executor_type> work_ = asio::make_work_guard(io_);
  config::Config config_;
  mcp::Registry registry_;
  mcp::SessionStore sessions_;
  std::unique_ptr<mcp::Engine> engine_;
  std::unique_ptr<StdioTransport> transport_;
  std::thread runner_;
  int to_server_[2] = {-1, -1};
  int from_server_[2] = {-1, -1};
  std::string pending_;
  std::promise<void> eof_;
  std::promise<void> waiting_;
  std::promise<std::string> cancelled_;
  std::atomic<bool> cancel_reported_{false};
};

TEST_F(StdioTransportTest, ParseErrorsGetMinus32700WithNullId) {
  send_line("{this is not json");
  const Json answer = receive();
  EXPECT_EQ(answer["jsonrpc"], "2.0");
  EXPECT_EQ(answer["error"]["code"], -32700);
  EXPECT_TRUE(answer["id"].is_null());
}

TEST_F(StdioTransportTest, InitializeThenCallAToolWithProgressFirst) {
  initialize("2025-11-25");
  send(rpc("call-1", "tools/call",
           Json{{"name", "echo"},
                {"arguments", {{"text", "over stdio"}}},
                {"_meta", {{"progressToken", 3}}}}));
  const Json progress = receive();
  EXPECT_EQ(progress["method"], "notifications/progress");
  EXPECT_EQ(progress["params"]["progressToken"], 3);
  const Json answer = receive();
  EXPECT_EQ(answer["id"], "call-1");
  EXPECT_EQ(answer["result"]["content"][0]["text"], "over stdio");
}

TEST_F(StdioTransportTest, BatchesAreAnsweredAsOneLineOn20250326) {
  initialize("2025-03-26");
  send(Json::array({rpc(1, "ping"),
                    Json{{"jsonrpc", "2.0"}, {"method", "notifications/initialized"}},
                    rpc(2, "tools/list"), Json{{"jsonrpc", "2.0"}, {"id", 3}}}));
  const Json answer = receive();
  ASSERT_TRUE(answer.is_array()) << answer.dump();
  ASSERT_EQ(answer.size(), 3u);
  std::map<int, Json> by_id;
  for (const auto& item : answer) by_id[item["id"].get<int>()] = item;
  EXPECT_TRUE(by_id[1].contains("result"));
  EXPECT_EQ(by_id[2]["result"]["tools"].size(), 2u);
  EXPECT_EQ(by_id[3]["error"]["code"], -32600);
}

TEST_F(StdioTransportTest, BatchesAreRefusedOnLaterRevisions) {
  initialize("2025-06-18");
  send(Json::array({rpc(1, "ping")}));
  const Json answer = receive();
  EXPECT_EQ(answer["error"]["code"], -32600);
  EXPECT_TRUE(answer["id"].is_null());
  EXPECT_THAT(answer["error"]["message"].get<std::string>(), HasSubstr("2025-03-26"));
}

TEST_F(StdioTransportTest, StatelessRequestsNeedNoInitialize) {
  send(rpc(4, "tools/list",
           Json{{"_meta",
                 {{"io.modelcontextprotocol/protocolVersion", "2026-07-28"},
                  {"io.modelcontextprotocol/clientCapabilities", Json::object()}}}}));
  const Json answer = receive();
  EXPECT_EQ(answer["id"], 4);
  EXPECT_EQ(answer["result"]["resultType"], "complete");
  EXPECT_EQ(answer["result"]["tools"].size(), 2u);
}

TEST_F(StdioTransportTest, CancelledNotificationCancelsTheCallAndNothingAnswersIt) {
  initialize("2025-11-25");
  send(rpc(9, "tools/call", Json{{"name", "wait"}}));
  ASSERT_EQ(waiting_.get_future().wait_for(std::chrono::milliseconds(kWaitMs)),
            std::future_status::ready);
  send(Json{{"jsonrpc", "2.0"},
            {"method", "notifications/cancelled"},
            {"params", {{"requestId", 9}, {"reason", "changed my mind"}}}});
  auto reason = cancelled_.get_future();
  ASSERT_EQ(reason.wait_for(std::chrono::milliseconds(kWaitMs)), std::future_status::ready);
  EXPECT_EQ(reason.get(), "changed my mind");
  send(rpc(10, "ping"));
  EXPECT_EQ(receive()["id"], 10);
}

TEST_F(StdioTransportTest, EndOfInputIsReportedAfterPendingAnswers) {
  initialize("2025-11-25");
  send(rpc(11, "tools/call", Json{{"name", "echo"}, {"arguments", {{"text", "last words"}}}}));
  close_input();
  auto eof = eof_.get_future();
  ASSERT_EQ(eof.wait_for(std::chrono::milliseconds(kWaitMs)), std::future_status::ready);
  const Json answer = receive();
  EXPECT_EQ(answer["id"], 11);
  EXPECT_EQ(answer["result"]["content"][0]["text"], "last words");
}

TEST_F(StdioTransportTest, AClosedStdoutStopsOutputQuietly) {
  ::close(from_server_[0]);
  from_server_[0] = -1;
  initialize_without_reading();
  send(rpc(12, "ping"));
  close_input();
  // The process survives writing to a closed pipe and still sees the end of input.
  auto eof = eof_.get_future();
  EXPECT_EQ(eof.wait_for(std::chrono::milliseconds(kWaitMs)), std::future_status::ready);
}

}  // namespace
}  // namespace shield::transport

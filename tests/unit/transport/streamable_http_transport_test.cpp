// The Streamable HTTP transport behind a real http::Server on 127.0.0.1:0, driven with raw
// HTTP/1.1 from a blocking client: what an MCP client actually sees on the wire.
#include "shield/transport/streamable_http_transport.hpp"

#include <sys/socket.h>
#include <sys/time.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>

#include "shield/http/server.hpp"
#include "shield/mcp/engine.hpp"
#include "shield/metrics/metrics.hpp"
#include "shield/util/clock.hpp"

namespace shield::transport {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using mcp::Json;
using ::testing::HasSubstr;

using Headers = std::vector<std::pair<std::string, std::string>>;

constexpr auto kWait = std::chrono::seconds(10);

struct Reply {
  unsigned status = 0;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;

  [[nodiscard]] std::string header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? std::string() : it->second;
  }
  [[nodiscard]] Json json() const { return Json::parse(body); }
};

struct SseEvent {
  std::string id;
  std::string retry;
  std::string data;
};

// Splits an event-stream body into events (comments dropped).
std::vector<SseEvent> parse_events(const std::string& body) {
  std::vector<SseEvent> events;
  SseEvent current;
  bool any = false;
  std::size_t pos = 0;
  while (pos < body.size()) {
    auto end = body.find('\n', pos);
    if (end == std::string::npos) break;
    std::string line = body.substr(pos, end - pos);
    pos = end + 1;
    if (line.empty()) {
      if (any) events.push_back(current);
      current = SseEvent{};
      any = false;
      continue;
    }
    if (line[0] == ':') continue;
    auto colon = line.find(':');
    std::string field = line.substr(0, colon);
    std::string value = colon == std::string::npos ? "" : line.substr(colon + 1);
    if (!value.empty() && value[0] == ' ') value.erase(0, 1);
    any = true;
    if (field == "id") current.id = value;
    if (field == "retry") current.retry = value;
    if (field == "data") current.data = value;
  }
  return events;
}

Reply to_reply(const bhttp::response<bhttp::string_body>& response) {
  Reply reply;
  reply.status = response.result_int();
  for (const auto& field : response) {
    std::string name(field.name_string());
    for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    reply.headers[name] = std::string(field.value());
  }
  reply.body = response.body();
  return reply;
}

// One client connection. Reads time out instead of hanging the test.
class Connection {
 public:
  explicit Connection(std::uint16_t port) : socket_(io_) {
    socket_.connect({asio::ip::address_v4::loopback(), port});
    timeval timeout{10, 0};
    setsockopt(socket_.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  }

  void send(bhttp::verb verb, const Headers& headers, const std::string& body) {
    bhttp::request<bhttp::string_body> request{verb, "/mcp", 11};
    request.set(bhttp::field::host, "127.0.0.1");
    for (const auto& [name, value] : headers) request.set(name, value);
    request.body() = body;
    request.prepare_payload();
    bhttp::write(socket_, request);
  }

  // The whole response (a stream is read to its end).
  Reply read() {
    bhttp::response<bhttp::string_body> response;
    bhttp::read(socket_, buffer_, response);
    return to_reply(response);
  }

  // Starts reading a streamed response: the head, then body as it arrives.
  Reply read_head() {
    parser_.emplace();
    parser_->body_limit(boost::none);
    bhttp::read_header(socket_, buffer_, *parser_);
    Reply head = to_reply(parser_->get());
    head.body.clear();
    return head;
  }

  // Reads until `events` complete events have arrived on the stream (or it ends).
  std::vector<SseEvent> read_events(std::size_t events) {
    for (;;) {
      auto parsed = parse_events(parser_->get().body());
      if (parsed.size() >= events || parser_->is_done()) return parsed;
      bhttp::read_some(socket_, buffer_, *parser_);
    }
  }

  // Reads the streamed body to its end.
  std::string read_to_end() {
    while (!parser_->is_done()) bhttp::read_some(socket_, buffer_, *parser_);
    return parser_->get().body();
  }

  // True when the server closed this connection (EOF), false on anything else.
  bool closed_by_server() {
    beast::error_code ec;
    char byte;
    socket_.read_some(asio::buffer(&byte, 1), ec);
    return ec == asio::error::eof || ec == asio::error::connection_reset;
  }

  void close() {
    beast::error_code ec;
    socket_.shutdown(asio::ip::tcp::socket::shutdown_both, ec);
    socket_.close(ec);
  }

 private:
  asio::io_context io_;
  asio::ip::tcp::socket socket_;
  beast::flat_buffer buffer_;
  std::optional<bhttp::response_parser<bhttp::string_body>> parser_;
};

// A call that waits until the test releases it, and reports being cancelled.
struct Gate {
  std::mutex mutex;
  std::shared_ptr<asio::steady_timer> timer;
  std::promise<void> entered;
  std::promise<std::string> cancelled;
  std::atomic<bool> cancel_reported{false};

  void release() {
    std::lock_guard lock(mutex);
    auto waiting = timer;
    asio::post(waiting->get_executor(), [waiting] { waiting->cancel(); });
  }
};

class StreamableHttpTransportTest : public ::testing::Test {
 protected:
  StreamableHttpTransportTest()
      : sessions_(SystemClock::instance(), 16, std::chrono::minutes(30)),
        gate_(std::make_shared<Gate>()) {
    add_tools();
    config_.server.sse_keepalive = std::chrono::minutes(10);
    config_.mcp.sse_retry = std::chrono::milliseconds(250);
    mcp::EngineOptions options;
    options.identity.version = "test";
    engine_ = std::make_unique<mcp::Engine>(options, registry_, sessions_, io_.get_executor());
    transport_ = std::make_unique<StreamableHttpTransport>(io_, *engine_, config_, &metrics_);
    server_ = std::make_unique<http::Server>(
        io_, "test", http::ServerLimits{},
        [this](http::Request request, std::shared_ptr<http::Exchange> exchange) {
          transport_->handle(std::move(request), std::move(exchange), "tester");
        });
    auto bound = server_->start(HostPort{"127.0.0.1", 0});
    EXPECT_TRUE(bound.has_value());
    port_ = bound ? bound->port : 0;
    transport_->start();
    runner_ = std::thread([this] { io_.run(); });
  }

  ~StreamableHttpTransportTest() override {
    transport_->shutdown();
    server_->close_all();
    work_.reset();
    io_.stop();
    runner_.join();
  }

  void add_tools() {
    mcp::ToolDefinition echo;
    echo.name = "echo";
    echo.description = "Echoes its text";
    echo.input_schema = Json{{"type", "object"}, {"properties", {{"text", {{"type", "string"}}}}}};
    echo.handler = [](Json arguments, mcp::ToolContext) -> asio::awaitable<mcp::ToolResult> {
      co_return mcp::ToolResult::text(arguments.value("text", std::string()));
    };
    ASSERT_TRUE(registry_.add_tool(std::move(echo)).has_value());

    mcp::ToolDefinition progress;
    progress.name = "count";
    progress.description = "Reports three steps of progress";
    progress.input_schema = Json{{"type", "object"}};
    progress.handler = [](Json, mcp::ToolContext context) -> asio::awaitable<mcp::ToolResult> {
      for (int step = 1; step <= 3; ++step) context.progress(step, 3, "step");
      co_return mcp::ToolResult::text("counted");
    };
    ASSERT_TRUE(registry_.add_tool(std::move(progress)).has_value());

    mcp::ToolDefinition wait;
    wait.name = "wait";
    wait.description = "Waits until the test releases it";
    wait.input_schema = Json{{"type", "object"}};
    wait.handler = [gate = gate_](Json,
                                  mcp::ToolContext context) -> asio::awaitable<mcp::ToolResult> {
      auto timer = std::make_shared<asio::steady_timer>(context.executor, std::chrono::hours(1));
      {
        std::lock_guard lock(gate->mutex);
        gate->timer = timer;
      }
      const auto id = context.cancel.on_cancel([gate, timer, token = context.cancel] {
        if (!gate->cancel_reported.exchange(true)) gate->cancelled.set_value(token.reason());
        asio::post(timer->get_executor(), [timer] { timer->cancel(); });
      });
      context.progress(1, 2, "waiting");
      gate->entered.set_value();
      co_await timer->async_wait(asio::as_tuple(asio::use_awaitable));
      context.cancel.forget(id);
      co_return mcp::ToolResult::text("released");
    };
    ASSERT_TRUE(registry_.add_tool(std::move(wait)).has_value());
  }

  static Headers post_headers(const std::string& session = {}) {
    Headers headers{{"Content-Type", "application/json"},
                    {"Accept", "application/json, text/event-stream"}};
    if (!session.empty()) headers.emplace_back("Mcp-Session-Id", session);
    return headers;
  }

  Reply post(const Json& body, const Headers& headers) {
    Connection connection(port_);
    connection.send(bhttp::verb::post, headers, body.dump());
    return connection.read();
  }

  Reply request(bhttp::verb verb, const Headers& headers, const std::string& body = {}) {
    Connection connection(port_);
    connection.send(verb, headers, body);
    return connection.read();
  }

  static Json rpc(int id, const std::string& method, Json params = Json::object()) {
    return Json{{"jsonrpc", "2.0"}, {"id", id}, {"method", method}, {"params", std::move(params)}};
  }

  // initialize + notifications/initialized; returns the session id.
  std::string open_session(const std::string& version = "2025-11-25") {
    auto reply = post(rpc(0, "initialize",
                          Json{{"protocolVersion", version},
                               {"capabilities", Json::object()},
                               {"clientInfo", {{"name", "test"}, {"version", "1"}}}}),
                      post_headers());
    EXPECT_EQ(reply.status, 200u) << reply.body;
    EXPECT_EQ(reply.json()["result"]["protocolVersion"], version);
    const std::string session = reply.header("mcp-session-id");
    EXPECT_FALSE(session.empty());
    auto initialized = post(Json{{"jsonrpc", "2.0"}, {"method", "notifications/initialized"}},
                            post_headers(session));
    EXPECT_EQ(initialized.status, 202u);
    EXPECT_TRUE(initialized.body.empty());
    return session;
  }

  static Headers stateless_headers(const std::string& method, const std::string& name = {}) {
    Headers headers = post_headers();
    headers.emplace_back("MCP-Protocol-Version", "2026-07-28");
    headers.emplace_back("Mcp-Method", method);
    if (!name.empty()) headers.emplace_back("Mcp-Name", name);
    return headers;
  }

  static Json stateless(int id, const std::string& method, Json params = Json::object()) {
    params["_meta"]["io.modelcontextprotocol/protocolVersion"] = "2026-07-28";
    params["_meta"]["io.modelcontextprotocol/clientCapabilities"] = Json::object();
    return rpc(id, method, std::move(params));
  }

  asio::io_context io_{2};
  asio::executor_work_guard<asio::io_context::executor_type> work_ = asio::make_work_guard(io_);
  config::Config config_;
  metrics::Metrics metrics_{"test"};
  mcp::Registry registry_;
  mcp::SessionStore sessions_;
  std::shared_ptr<Gate> gate_;
  std::unique_ptr<mcp::Engine> engine_;
  std::unique_ptr<StreamableHttpTransport> transport_;
  std::unique_ptr<http::Server> server_;
  std::uint16_t port_ = 0;
  std::thread runner_;
};

TEST_F(StreamableHttpTransportTest, InitializeIssuesAVisibleAsciiSessionAndToolsListWorks) {
  const std::string session = open_session();
  for (char c : session) EXPECT_TRUE(c >= 0x21 && c <= 0x7E) << session;
  auto reply = post(rpc(1, "tools/list"), post_headers(session));
  ASSERT_EQ(reply.status, 200u);
  EXPECT_THAT(reply.header("content-type"), HasSubstr("application/json"));
  const Json body = reply.json();
  EXPECT_EQ(body["id"], 1);
  ASSERT_EQ(body["result"]["tools"].size(), 3u);
  EXPECT_EQ(body["result"]["tools"][0]["name"], "echo");

  auto call = post(rpc(2, "tools/call", Json{{"name", "echo"}, {"arguments", {{"text", "hi"}}}}),
                   post_headers(session));
  ASSERT_EQ(call.status, 200u);
  EXPECT_EQ(call.json()["result"]["content"][0]["text"], "hi");
}

TEST_F(StreamableHttpTransportTest, MissingSessionIs400AndUnknownSessionIs404) {
  auto missing = post(rpc(1, "tools/list"), post_headers());
  EXPECT_EQ(missing.status, 400u);
  EXPECT_THAT(missing.json()["error"]["message"].get<std::string>(), HasSubstr("Mcp-Session-Id"));

  auto unknown = post(rpc(1, "tools/list"), post_headers("0123456789abcdef"));
  EXPECT_EQ(unknown.status, 404u);
  EXPECT_EQ(unknown.json()["error"]["code"], -32001);
  EXPECT_EQ(unknown.json()["id"], 1);
}

TEST_F(StreamableHttpTransportTest, DeleteEndsTheSessionAndLaterRequestsGet404) {
  const std::string session = open_session();
  EXPECT_THAT(metrics_.serialize(), HasSubstr("mcp_active_sessions 1\n"));
  auto deleted = request(bhttp::verb::delete_, {{"Mcp-Session-Id", session}});
  EXPECT_EQ(deleted.status, 200u);
  EXPECT_THAT(metrics_.serialize(), HasSubstr("mcp_active_sessions 0\n"));
  EXPECT_EQ(post(rpc(1, "tools/list"), post_headers(session)).status, 404u);
  EXPECT_EQ(request(bhttp::verb::delete_, {{"Mcp-Session-Id", session}}).status, 404u);
  EXPECT_EQ(sessions_.size(), 0u);
}

TEST_F(StreamableHttpTransportTest, TheSessionBoundAnswers503) {
  for (std::size_t i = 0; i < 16; ++i) open_session();
  auto refused = post(rpc(0, "initialize",
                          Json{{"protocolVersion", "2025-11-25"},
                               {"capabilities", Json::object()},
                               {"clientInfo", {{"name", "test"}, {"version", "1"}}}}),
                      post_headers());
  EXPECT_EQ(refused.status, 503u);
  EXPECT_EQ(refused.json()["id"], 0);
  EXPECT_THAT(refused.json()["error"]["message"].get<std::string>(), HasSubstr("sessions"));
  EXPECT_TRUE(refused.header("mcp-session-id").empty());
  EXPECT_EQ(sessions_.size(), 16u);
}

TEST_F(StreamableHttpTransportTest, AFailedInitializeLeavesNoSession) {
  auto failed = post(rpc(0, "initialize", Json{{"capabilities", Json::object()}}), post_headers());
  EXPECT_EQ(failed.status, 200u);
  EXPECT_EQ(failed.json()["error"]["code"], -32602);
  EXPECT_TRUE(failed.header("mcp-session-id").empty());
  EXPECT_EQ(sessions_.size(), 0u);
}

TEST_F(StreamableHttpTransportTest, BatchesOnlyOn20250326) {
  const Json batch = Json::array({rpc(1, "ping"),
                                  Json{{"jsonrpc", "2.0"},
                                       {"method", "notifications/progress"},
                                       {"params", {{"progressToken", 1}, {"progress", 1}}}},
                                  rpc(2, "tools/list")});
  const std::string modern = open_session("2025-06-18");
  auto refused = post(batch, post_headers(modern));
  EXPECT_EQ(refused.status, 400u);
  EXPECT_EQ(refused.json()["error"]["code"], -32600);
  EXPECT_THAT(refused.json()["error"]["message"].get<std::string>(), HasSubstr("2025-03-26"));

  const std::string old = open_session("2025-03-26");
  auto accepted = post(batch, post_headers(old));
  ASSERT_EQ(accepted.status, 200u) << accepted.body;
  const Json answers = accepted.json();
  ASSERT_TRUE(answers.is_array());
  ASSERT_EQ(answers.size(), 2u);
  std::set<int> ids;
  for (const auto& answer : answers) {
    ids.insert(answer["id"].get<int>());
    EXPECT_TRUE(answer.contains("result")) << answer.dump();
  }
  EXPECT_EQ(ids, (std::set<int>{1, 2}));

  auto empty = post(Json::array(), post_headers(old));
  EXPECT_EQ(empty.status, 400u);
  auto with_initialize = post(Json::array({rpc(3, "initialize")}), post_headers(old));
  EXPECT_EQ(with_initialize.status, 400u);
}

TEST_F(StreamableHttpTransportTest, RefusesWrongMediaTypesAndBadJson) {
  const std::string body = rpc(1, "initialize").dump();
  auto plain = request(
      bhttp::verb::post,
      {{"Content-Type", "text/plain"}, {"Accept", "application/json, text/event-stream"}}, body);
  EXPECT_EQ(plain.status, 415u);
  EXPECT_THAT(plain.json()["error"]["message"].get<std::string>(), HasSubstr("application/json"));
  auto json_only =
      request(bhttp::verb::post,
              {{"Content-Type", "application/json"}, {"Accept", "application/json"}}, body);
  EXPECT_EQ(json_only.status, 406u);
  EXPECT_THAT(json_only.json()["error"]["message"].get<std::string>(),
              HasSubstr("text/event-stream"));
  auto no_accept = request(bhttp::verb::post, {{"Content-Type", "application/json"}}, body);
  EXPECT_EQ(no_accept.status, 406u);
  auto broken = request(bhttp::verb::post, post_headers(), "{\"jsonrpc\":");
  EXPECT_EQ(broken.status, 400u);
  EXPECT_EQ(broken.json()["error"]["code"], -32700);
  EXPECT_TRUE(broken.json()["id"].is_null());
  EXPECT_EQ(sessions_.size(), 0u);
}

TEST_F(StreamableHttpTransportTest, ProtocolVersionHeaderMustBeSupportedAndNegotiated) {
  const std::string session = open_session("2025-11-25");
  auto headers = post_headers(session);
  headers.emplace_back("MCP-Protocol-Version", "2025-06-18");
  auto other = post(rpc(1, "ping"), headers);
  EXPECT_EQ(other.status, 400u);
  EXPECT_THAT(other.json()["error"]["message"].get<std::string>(), HasSubstr("negotiated"));
  headers.back().second = "1999-01-01";
  auto unknown = post(rpc(1, "ping"), headers);
  EXPECT_EQ(unknown.status, 400u);
  EXPECT_THAT(unknown.json()["error"]["message"].get<std::string>(), HasSubstr("2025-11-25"));
  headers.back().second = "2025-11-25";
  EXPECT_EQ(post(rpc(1, "ping"), headers).status, 200u);
}

TEST_F(StreamableHttpTransportTest, ProgressTurnsTheAnswerIntoAPrimedEventStream) {
  const std::string session = open_session("2025-11-25");
  auto reply =
      post(rpc(5, "tools/call", Json{{"name", "count"}, {"_meta", {{"progressToken", "tok"}}}}),
           post_headers(session));
  ASSERT_EQ(reply.status, 200u);
  EXPECT_THAT(reply.header("content-type"), HasSubstr("text/event-stream"));
  auto events = parse_events(reply.body);
  ASSERT_EQ(events.size(), 5u) << reply.body;
  // Priming: an id, the retry hint, empty data.
  EXPECT_FALSE(events[0].id.empty());
  EXPECT_EQ(events[0].retry, "250");
  EXPECT_EQ(events[0].data, "");
  for (int i = 1; i <= 3; ++i) {
    const Json note = Json::parse(events[static_cast<std::size_t>(i)].data);
    EXPECT_EQ(note["method"], "notifications/progress");
    EXPECT_EQ(note["params"]["progressToken"], "tok");
    EXPECT_EQ(note["params"]["progress"], i);
  }
  const Json result = Json::parse(events[4].data);
  EXPECT_EQ(result["id"], 5);
  EXPECT_EQ(result["result"]["content"][0]["text"], "counted");
  // Ids name one stream and count up.
  const std::string stream = events[0].id.substr(0, events[0].id.find('-'));
  for (std::size_t i = 0; i < events.size(); ++i) {
    EXPECT_EQ(events[i].id, stream + "-" + std::to_string(i));
  }
}

TEST_F(StreamableHttpTransportTest, LastEventIdReplaysTheRestOfAFinishedStream) {
  const std::string session = open_session("2025-11-25");
  auto reply =
      post(rpc(5, "tools/call", Json{{"name", "count"}, {"_meta", {{"progressToken", 9}}}}),
           post_headers(session));
  auto events = parse_events(reply.body);
  ASSERT_EQ(events.size(), 5u);

  auto resumed = request(bhttp::verb::get, {{"Accept", "text/event-stream"},
                                            {"Mcp-Session-Id", session},
                                            {"Last-Event-ID", events[2].id}});
  ASSERT_EQ(resumed.status, 200u);
  EXPECT_THAT(resumed.header("content-type"), HasSubstr("text/event-stream"));
  auto replayed = parse_events(resumed.body);
  ASSERT_EQ(replayed.size(), 2u) << resumed.body;
  EXPECT_EQ(replayed[0].id, events[3].id);
  EXPECT_EQ(replayed[0].data, events[3].data);
  EXPECT_EQ(replayed[1].id, events[4].id);
  EXPECT_EQ(Json::parse(replayed[1].data)["id"], 5);

  auto unknown = request(
      bhttp::verb::get,
      {{"Accept", "text/event-stream"}, {"Mcp-Session-Id", session}, {"Last-Event-ID", "999-1"}});
  EXPECT_EQ(unknown.status, 400u);
  EXPECT_THAT(unknown.json()["error"]["message"].get<std::string>(), HasSubstr("999-1"));
}

TEST_F(StreamableHttpTransportTest, ARunningCallResumesOnGetAndFinishesThere) {
  const std::string session = open_session("2025-11-25");
  Connection original(port_);
  original.send(
      bhttp::verb::post, post_headers(session),
      rpc(7, "tools/call", Json{{"name", "wait"}, {"_meta", {{"progressToken", 1}}}}).dump());
  ASSERT_EQ(original.read_head().status, 200u);
  auto seen = original.read_events(2);  // priming + progress
  ASSERT_GE(seen.size(), 2u);
  ASSERT_EQ(gate_->entered.get_future().wait_for(kWait), std::future_status::ready);

  Connection resumed(port_);
  resumed.send(
      bhttp::verb::get,
      {{"Accept", "text/event-stream"}, {"Mcp-Session-Id", session}, {"Last-Event-ID", seen[0].id}},
      "");
  ASSERT_EQ(resumed.read_head().status, 200u);
  auto replayed = resumed.read_events(1);
  ASSERT_EQ(replayed.size(), 1u);
  EXPECT_EQ(replayed[0].id, seen[1].id);
  // The stream moved: the server ends the original response, which does not cancel the call.
  EXPECT_NO_THROW(original.read_to_end());

  gate_->release();
  const std::string rest = resumed.read_to_end();
  auto events = parse_events(rest);
  ASSERT_EQ(events.size(), 2u) << rest;
  const Json result = Json::parse(events[1].data);
  EXPECT_EQ(result["id"], 7);
  EXPECT_EQ(result["result"]["content"][0]["text"], "released");
  EXPECT_FALSE(gate_->cancel_reported.load());
}

TEST_F(StreamableHttpTransportTest, AClientClosingItsStreamCancelsTheCall) {
  const std::string session = open_session("2025-11-25");
  {
    Connection connection(port_);
    connection.send(
        bhttp::verb::post, post_headers(session),
        rpc(8, "tools/call", Json{{"name", "wait"}, {"_meta", {{"progressToken", 1}}}}).dump());
    ASSERT_EQ(connection.read_head().status, 200u);
    connection.read_events(2);
    connection.close();
  }
  auto cancelled = gate_->cancelled.get_future();
  ASSERT_EQ(cancelled.wait_for(kWait), std::future_status::ready);
  EXPECT_FALSE(cancelled.get().empty());
}

TEST_F(StreamableHttpTransportTest, GetOpensAPrimedListeningStream) {
  const std::string session = open_session("2025-11-25");
  Connection listening(port_);
  listening.send(bhttp::verb::get, {{"Accept", "text/event-stream"}, {"Mcp-Session-Id", session}},
                 "");
  auto head = listening.read_head();
  ASSERT_EQ(head.status, 200u);
  EXPECT_THAT(head.header("content-type"), HasSubstr("text/event-stream"));
  auto events = listening.read_events(1);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].data, "");
  EXPECT_EQ(events[0].retry, "250");

  // Messages for no particular request go to it.
  auto found = sessions_.find(session);
  ASSERT_TRUE(found.has_value());
  EXPECT_TRUE((*found)->send_standalone(
      Json{{"jsonrpc", "2.0"}, {"method", "notifications/tools/list_changed"}}));
  events = listening.read_events(2);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(Json::parse(events[1].data)["method"], "notifications/tools/list_changed");

  // DELETE ends the session and closes its streams.
  EXPECT_EQ(request(bhttp::verb::delete_, {{"Mcp-Session-Id", session}}).status, 200u);
  EXPECT_NO_THROW(listening.read_to_end());

  EXPECT_EQ(request(bhttp::verb::get, {{"Accept", "application/json"}, {"Mcp-Session-Id", session}})
                .status,
            406u);
  EXPECT_EQ(
      request(bhttp::verb::get, {{"Accept", "text/event-stream"}, {"Mcp-Session-Id", session}})
          .status,
      404u);
}

TEST_F(StreamableHttpTransportTest, OtherMethodsAre405WithAllow) {
  auto put = request(bhttp::verb::put, post_headers(), "{}");
  EXPECT_EQ(put.status, 405u);
  EXPECT_EQ(put.header("allow"), "GET, POST, DELETE");
}

TEST_F(StreamableHttpTransportTest, StatelessRequestsNeedNoSession) {
  auto discover = post(stateless(1, "server/discover"), stateless_headers("server/discover"));
  ASSERT_EQ(discover.status, 200u) << discover.body;
  EXPECT_EQ(discover.json()["result"]["supportedVersions"], Json::array({"2026-07-28"}));
  EXPECT_TRUE(discover.header("mcp-session-id").empty());

  auto call =
      post(stateless(2, "tools/call", Json{{"name", "echo"}, {"arguments", {{"text", "x"}}}}),
           stateless_headers("tools/call", "echo"));
  ASSERT_EQ(call.status, 200u) << call.body;
  EXPECT_EQ(call.json()["result"]["resultType"], "complete");
  EXPECT_EQ(call.json()["result"]["content"][0]["text"], "x");
  EXPECT_EQ(sessions_.size(), 0u);
}

TEST_F(StreamableHttpTransportTest, StatelessHeaderAndMetaErrorsMapToHttpStatuses) {
  auto mismatch = post(stateless(3, "tools/list"), stateless_headers("prompts/list"));
  EXPECT_EQ(mismatch.status, 400u);
  EXPECT_EQ(mismatch.json()["error"]["code"], -32020);
  EXPECT_EQ(mismatch.json()["id"], 3);

  auto wrong_name = post(stateless(4, "tools/call", Json{{"name", "echo"}}),
                         stateless_headers("tools/call", "count"));
  EXPECT_EQ(wrong_name.status, 400u);
  EXPECT_EQ(wrong_name.json()["error"]["code"], -32020);

  Json no_meta = rpc(5, "tools/list");
  auto missing_meta = post(no_meta, stateless_headers("tools/list"));
  EXPECT_EQ(missing_meta.status, 400u);
  EXPECT_EQ(missing_meta.json()["error"]["code"], -32602);

  Json future = stateless(6, "server/discover");
  future["params"]["_meta"]["io.modelcontextprotocol/protocolVersion"] = "2099-01-01";
  Headers future_headers = stateless_headers("server/discover");
  future_headers[2].second = "2099-01-01";
  auto unsupported = post(future, future_headers);
  EXPECT_EQ(unsupported.status, 400u);
  EXPECT_EQ(unsupported.json()["error"]["code"], -32022);
  EXPECT_EQ(unsupported.json()["error"]["data"]["requested"], "2099-01-01");

  auto removed = post(stateless(7, "initialize"), stateless_headers("initialize"));
  EXPECT_EQ(removed.status, 404u);
  EXPECT_EQ(removed.json()["error"]["code"], -32601);
  auto unknown = post(stateless(8, "no/such"), stateless_headers("no/such"));
  EXPECT_EQ(unknown.status, 404u);
  EXPECT_EQ(unknown.json()["id"], 8);
}

TEST_F(StreamableHttpTransportTest, StatelessGetAndDeleteAre405) {
  auto get = request(bhttp::verb::get,
                     {{"Accept", "text/event-stream"}, {"MCP-Protocol-Version", "2026-07-28"}});
  EXPECT_EQ(get.status, 405u);
  EXPECT_EQ(get.header("allow"), "POST");
  auto del = request(bhttp::verb::delete_, {{"MCP-Protocol-Version", "2026-07-28"}});
  EXPECT_EQ(del.status, 405u);
  EXPECT_EQ(del.header("allow"), "POST");
}

TEST_F(StreamableHttpTransportTest, StatelessProgressStreamsWithoutIds) {
  Json call = stateless(9, "tools/call", Json{{"name", "count"}});
  call["params"]["_meta"]["progressToken"] = "p";
  auto reply = post(call, stateless_headers("tools/call", "count"));
  ASSERT_EQ(reply.status, 200u);
  EXPECT_THAT(reply.header("content-type"), HasSubstr("text/event-stream"));
  auto events = parse_events(reply.body);
  ASSERT_EQ(events.size(), 4u) << reply.body;
  for (const auto& event : events) EXPECT_TRUE(event.id.empty());
  EXPECT_EQ(Json::parse(events[0].data)["params"]["progressToken"], "p");
  EXPECT_EQ(Json::parse(events[3].data)["result"]["resultType"], "complete");
}

}  // namespace
}  // namespace shield::transport

#include "shield/http/server.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <future>
#include <mutex>

#include <boost/beast/http/field.hpp>

#include "unit/http/test_client.hpp"

namespace shield::http {
namespace {

using namespace std::chrono_literals;
using testing::fast_limits;
using testing::get_request;
using testing::post_request;
using testing::RawClient;
using testing::ServerHarness;
namespace bhttp = boost::beast::http;

Response text_response(const Request& request, std::string body) {
  Response response{bhttp::status::ok, request.version()};
  response.set(bhttp::field::content_type, "text/plain");
  response.body() = std::move(body);
  return response;
}

// Answers every request with "<METHOD> <target> <body size>".
Handler echo_handler() {
  return [](const Request& request, const std::shared_ptr<Exchange>& exchange) {
    exchange->respond(text_response(request, std::string(request.method_string()) + " " +
                                                 std::string(request.target()) + " " +
                                                 std::to_string(request.body().size())));
  };
}

// Exchanges a test holds on to, answered when the test says so.
class HeldExchanges {
 public:
  Handler handler() {
    return [this](Request request, std::shared_ptr<Exchange> exchange) {
      std::lock_guard lock(mutex_);
      held_.emplace_back(std::move(request), std::move(exchange));
      changed_.notify_all();
    };
  }
  bool wait_for_count(std::size_t n, std::chrono::milliseconds timeout = 5s) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, timeout, [&] { return held_.size() >= n; });
  }
  std::pair<Request, std::shared_ptr<Exchange>>& at(std::size_t i) {
    std::lock_guard lock(mutex_);
    return held_.at(i);
  }
  void clear() {
    std::lock_guard lock(mutex_);
    held_.clear();
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<std::pair<Request, std::shared_ptr<Exchange>>> held_;
};

TEST(ServerLimitsTest, FromConfigCopiesEveryLimit) {
  config::ServerConfig config;
  config.max_body_bytes = 123;
  config.max_header_bytes = 456;
  config.header_timeout = 7ms;
  config.body_timeout = 8ms;
  config.idle_timeout = 9ms;
  config.max_connections = 10;
  config.max_pipelined = 11;
  const auto limits = ServerLimits::from(config);
  EXPECT_EQ(limits.max_body_bytes, 123U);
  EXPECT_EQ(limits.max_header_bytes, 456U);
  EXPECT_EQ(limits.header_timeout, 7ms);
  EXPECT_EQ(limits.body_timeout, 8ms);
  EXPECT_EQ(limits.idle_timeout, 9ms);
  EXPECT_EQ(limits.max_connections, 10U);
  EXPECT_EQ(limits.max_pipelined, 11U);
}

TEST(ServerTest, StartReportsTheRealPortWhenZeroIsAsked) {
  ServerHarness harness(fast_limits(), echo_handler());
  EXPECT_EQ(harness.bound().host, "127.0.0.1");
  EXPECT_NE(harness.bound().port, 0);

  RawClient client(harness.port());
  ASSERT_TRUE(client.connected());
  ASSERT_TRUE(client.send(get_request("/hello")));
  auto response = client.read_response();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->result_int(), 200U);
  EXPECT_EQ(response->body(), "GET /hello 0");
}

TEST(ServerTest, StartFailsWithUnavailableWhenThePortIsTaken) {
  ServerHarness first(fast_limits(), echo_handler());
  boost::asio::io_context io;
  Server second(io, "second", fast_limits(), echo_handler());
  auto bound = second.start(HostPort{"127.0.0.1", first.port()});
  ASSERT_FALSE(bound);
  EXPECT_EQ(bound.error().code, ErrorCode::kUnavailable);
  EXPECT_NE(bound.error().message.find(std::to_string(first.port())), std::string::npos)
      << bound.error().message;
}

TEST(ServerTest, KeepAliveServesTwoRequestsOnOneConnection) {
  ServerHarness harness(fast_limits(), echo_handler());
  RawClient client(harness.port());
  ASSERT_TRUE(client.send(get_request("/one")));
  auto first = client.read_response();
  ASSERT_TRUE(first);
  EXPECT_EQ(first->body(), "GET /one 0");
  EXPECT_TRUE(first->keep_alive());

  ASSERT_TRUE(client.send(post_request("/two", R"({"a":1})")));
  auto second = client.read_response();
  ASSERT_TRUE(second);
  EXPECT_EQ(second->body(), "POST /two 7");
  EXPECT_EQ(harness.server().connection_count(), 1U);
}

TEST(ServerTest, ConnectionCloseRequestGetsAnAnswerThenTheConnectionEnds) {
  ServerHarness harness(fast_limits(), echo_handler());
  RawClient client(harness.port());
  ASSERT_TRUE(client.send(get_request("/bye", "Connection: close\r\n")));
  auto response = client.read_response();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->body(), "GET /bye 0");
  EXPECT_FALSE(response->keep_alive());
  EXPECT_TRUE(client.wait_closed());
}

TEST(ServerTest, PipelinedAnswersLeaveInRequestOrder) {
  std::shared_ptr<Exchange> slow;
  Request slow_request;
  std::mutex mutex;
  ServerHarness harness(fast_limits(), [&](Request request, std::shared_ptr<Exchange> exchange) {
    if (request.target() == "/slow") {
      std::lock_guard lock(mutex);
      slow_request = std::move(request);
      slow = std::move(exchange);
      return;
    }
    // The later request is answered first; the earlier one only afterwards.
    exchange->respond(text_response(request, "fast"));
    std::lock_guard lock(mutex);
    slow->respond(text_response(slow_request, "slow"));
  });
  RawClient client(harness.port());
  ASSERT_TRUE(client.send(get_request("/slow") + get_request("/fast")));
  auto first = client.read_response();
  auto second = client.read_response();
  ASSERT_TRUE(first);
  ASSERT_TRUE(second);
  EXPECT_EQ(first->body(), "slow");
  EXPECT_EQ(second->body(), "fast");
}

TEST(ServerTest, PipeliningStopsReadingAtTheQueueBound) {
  HeldExchanges held;
  auto limits = fast_limits();
  limits.max_pipelined = 2;
  ServerHarness harness(limits, held.handler());
  RawClient client(harness.port());
  ASSERT_TRUE(client.send(get_request("/1") + get_request("/2") + get_request("/3")));
  ASSERT_TRUE(held.wait_for_count(2));
  // The third request is on the wire, but two answers are owed: it must not be read yet.
  EXPECT_FALSE(held.wait_for_count(3, 200ms));

  auto& [request, exchange] = held.at(0);
  exchange->respond(text_response(request, "first"));
  ASSERT_TRUE(held.wait_for_count(3));
  for (std::size_t i = 1; i < 3; ++i) {
    auto& [r, e] = held.at(i);
    e->respond(text_response(r, std::string(r.target())));
  }
  std::vector<std::string> bodies;
  for (int i = 0; i < 3; ++i) {
    auto response = client.read_response();
    ASSERT_TRUE(response);
    bodies.push_back(response->body());
  }
  EXPECT_EQ(bodies, (std::vector<std::string>{"first", "/2", "/3"}));
}

TEST(ServerTest, OversizedBodyGets413NamingTheLimit) {
  std::atomic<int> calls{0};
  auto limits = fast_limits();
  limits.max_body_bytes = 1024;
  ServerHarness harness(limits,
                        [&](const Request& request, const std::shared_ptr<Exchange>& exchange) {
                          ++calls;
                          exchange->respond(text_response(request, "handled"));
                        });
  RawClient client(harness.port());
  ASSERT_TRUE(client.send(post_request("/upload", std::string(4096, 'x'))));
  auto response = client.read_response();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->result_int(), 413U);
  EXPECT_EQ((*response)[bhttp::field::content_type], "application/json");
  EXPECT_NE(response->body().find("1 KiB (1024 bytes)"), std::string::npos) << response->body();
  EXPECT_FALSE(response->keep_alive());
  EXPECT_TRUE(client.wait_closed());
  EXPECT_EQ(calls.load(), 0);
}

TEST(ServerTest, OversizedChunkedBodyGets413) {
  auto limits = fast_limits();
  limits.max_body_bytes = 100;
  ServerHarness harness(limits, echo_handler());
  RawClient client(harness.port());
  std::string request =
      "POST /upload HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n"
      "40\r\n" +
      std::string(64, 'a') + "\r\n40\r\n" + std::string(64, 'b') + "\r\n0\r\n\r\n";
  ASSERT_TRUE(client.send(request));
  auto response = client.read_response();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->result_int(), 413U);
  EXPECT_NE(response->body().find("100 bytes"), std::string::npos) << response->body();
}

TEST(ServerTest, BodyWithinTheLimitIsDelivered) {
  auto limits = fast_limits();
  limits.max_body_bytes = 1024;
  ServerHarness harness(limits, echo_handler());
  RawClient client(harness.port());
  ASSERT_TRUE(client.send(post_request("/upload", std::string(1024, 'x'))));
  auto response = client.read_response();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->body(), "POST /upload 1024");
}

TEST(ServerTest, HugeHeadersGet431) {
  auto limits = fast_limits();
  limits.max_header_bytes = 1024;
  ServerHarness harness(limits, echo_handler());
  RawClient client(harness.port());
  ASSERT_TRUE(client.send(get_request("/", "X-Padding: " + std::string(4096, 'p') + "\r\n")));
  auto response = client.read_response();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->result_int(), 431U);
  EXPECT_NE(response->body().find("1 KiB"), std::string::npos) << response->body();
  EXPECT_TRUE(client.wait_closed());
}

TEST(ServerTest, MalformedRequestGets400AndClose) {
  ServerHarness harness(fast_limits(), echo_handler());
  RawClient client(harness.port());
  ASSERT_TRUE(client.send("GET / HTTP/1.1\r\nHost 127.0.0.1\r\n\r\n"));
  auto response = client.read_response();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->result_int(), 400U);
  EXPECT_NE(response->body().find("malformed HTTP request"), std::string::npos) << response->body();
  EXPECT_TRUE(client.wait_closed());
}

TEST(ServerTest, HeaderTimeoutDisconnectsASlowLoris) {
  auto limits = fast_limits();
  limits.header_timeout = 200ms;
  std::atomic<int> calls{0};
  ServerHarness harness(limits, [&](const Request&, const std::shared_ptr<Exchange>&) { ++calls; });
  RawClient client(harness.port());
  const auto started = std::chrono::steady_clock::now();
  ASSERT_TRUE(client.send("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n"));
  // Trickle one header line every 20 ms: each line resets nothing on the server.
  bool closed = false;
  for (int i = 0; i < 250 && !closed; ++i) {
    client.send("X-Drip-" + std::to_string(i) + ": x\r\n");
    closed = client.wait_closed(20ms);
  }
  const auto elapsed = std::chrono::steady_clock::now() - started;
  EXPECT_TRUE(closed) << "a slow-loris client kept its connection for 5 s";
  EXPECT_GE(elapsed, 180ms);
  EXPECT_LT(elapsed, 3s);
  EXPECT_EQ(calls.load(), 0);
  EXPECT_TRUE(client.discarded().empty()) << "no answer is owed: " << client.discarded();
}

TEST(ServerTest, BodyTimeoutDisconnectsAStalledUpload) {
  auto limits = fast_limits();
  limits.body_timeout = 100ms;
  ServerHarness harness(limits, echo_handler());
  RawClient client(harness.port());
  ASSERT_TRUE(client.send("POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 10\r\n\r\nabc"));
  EXPECT_TRUE(client.wait_closed(3s));
}

TEST(ServerTest, IdleKeepAliveConnectionIsClosed) {
  auto limits = fast_limits();
  limits.idle_timeout = 100ms;
  ServerHarness harness(limits, echo_handler());
  RawClient client(harness.port());
  ASSERT_TRUE(client.send(get_request("/")));
  ASSERT_TRUE(client.read_response());
  const auto started = std::chrono::steady_clock::now();
  EXPECT_TRUE(client.wait_closed(3s));
  EXPECT_GE(std::chrono::steady_clock::now() - started, 50ms);
}

TEST(ServerTest, AConnectionThatNeverSendsIsClosedByTheIdleTimeout) {
  auto limits = fast_limits();
  limits.idle_timeout = 100ms;
  ServerHarness harness(limits, echo_handler());
  RawClient client(harness.port());
  EXPECT_TRUE(client.wait_closed(3s));
}

TEST(ServerTest, BeyondMaxConnectionsTheServerAnswers503WithRetryAfter) {
  auto limits = fast_limits();
  limits.max_connections = 1;
  ServerHarness harness(limits, echo_handler());
  RawClient first(harness.port());
  ASSERT_TRUE(first.send(get_request("/")));
  ASSERT_TRUE(first.read_response());

  RawClient second(harness.port());
  ASSERT_TRUE(second.send(get_request("/")));
  auto refused = second.read_response();
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->result_int(), 503U);
  EXPECT_EQ((*refused)[bhttp::field::retry_after], "1");
  EXPECT_NE(refused->body().find("connection limit (1)"), std::string::npos) << refused->body();
  EXPECT_FALSE(refused->keep_alive());
  EXPECT_TRUE(second.wait_closed());

  // The admitted connection is unaffected.
  ASSERT_TRUE(first.send(get_request("/again")));
  auto again = first.read_response();
  ASSERT_TRUE(again);
  EXPECT_EQ(again->body(), "GET /again 0");
  EXPECT_EQ(harness.server().connection_count(), 1U);
}

TEST(ServerTest, DrainClosesIdleConnectionsAndWaitsForInFlightOnes) {
  HeldExchanges held;
  ServerHarness harness(fast_limits(), [&](Request request, std::shared_ptr<Exchange> exchange) {
    if (request.target() == "/quick") {
      exchange->respond(text_response(request, "quick"));
      return;
    }
    held.handler()(std::move(request), std::move(exchange));
  });
  RawClient idle(harness.port());
  ASSERT_TRUE(idle.send(get_request("/quick")));
  ASSERT_TRUE(idle.read_response());
  RawClient busy(harness.port());
  ASSERT_TRUE(busy.send(get_request("/held")));
  ASSERT_TRUE(held.wait_for_count(1));
  EXPECT_EQ(harness.server().connection_count(), 2U);

  std::promise<void> drained;
  harness.server().drain([&] { drained.set_value(); });
  auto done = drained.get_future();

  EXPECT_TRUE(idle.wait_closed());
  EXPECT_EQ(done.wait_for(0ms), std::future_status::timeout) << "a call is still in flight";
  // New connections are no longer accepted.
  RawClient late(harness.port());
  EXPECT_TRUE(!late.connected() || late.wait_closed());

  auto& [request, exchange] = held.at(0);
  exchange->respond(text_response(request, "finished"));
  auto response = busy.read_response();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->body(), "finished");
  EXPECT_FALSE(response->keep_alive()) << "a draining server announces the close";
  EXPECT_TRUE(busy.wait_closed());
  busy.close();  // the server lingers until the peer's side is closed too
  EXPECT_EQ(done.wait_for(5s), std::future_status::ready);
  EXPECT_EQ(harness.server().connection_count(), 0U);
}

TEST(ServerTest, DrainWithoutConnectionsCompletesAtOnce) {
  ServerHarness harness(fast_limits(), echo_handler());
  bool done = false;
  harness.server().drain([&] { done = true; });
  EXPECT_TRUE(done);
}

TEST(ServerTest, CloseAllEndsEveryConnectionAndTellsPendingExchanges) {
  HeldExchanges held;
  ServerHarness harness(fast_limits(), held.handler());
  RawClient a(harness.port());
  RawClient b(harness.port());
  ASSERT_TRUE(a.send(get_request("/a")));
  ASSERT_TRUE(b.send(get_request("/b")));
  ASSERT_TRUE(held.wait_for_count(2));
  std::promise<void> gone;
  held.at(0).second->on_peer_gone([&] { gone.set_value(); });

  harness.server().close_all();
  EXPECT_TRUE(a.wait_closed());
  EXPECT_TRUE(b.wait_closed());
  EXPECT_EQ(gone.get_future().wait_for(5s), std::future_status::ready);
  std::promise<void> drained;
  harness.server().drain([&] { drained.set_value(); });
  EXPECT_EQ(drained.get_future().wait_for(5s), std::future_status::ready);
  EXPECT_EQ(harness.server().connection_count(), 0U);
  held.clear();
}

TEST(ServerTest, HandlerExceptionBecomes500) {
  ServerHarness harness(fast_limits(), [](const Request&, const std::shared_ptr<Exchange>&) {
    throw std::runtime_error("boom");
  });
  RawClient client(harness.port());
  ASSERT_TRUE(client.send(get_request("/")));
  auto response = client.read_response();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->result_int(), 500U);
  // The connection survives a failing handler.
  ASSERT_TRUE(client.send(get_request("/")));
  auto again = client.read_response();
  ASSERT_TRUE(again);
  EXPECT_EQ(again->result_int(), 500U);
}

TEST(ServerTest, ExpectContinueIsHonoured) {
  ServerHarness harness(fast_limits(), echo_handler());
  RawClient client(harness.port());
  ASSERT_TRUE(client.send(
      "POST /up HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n"));
  auto interim = client.read_until(
      [](const std::string& bytes) { return bytes.find("\r\n\r\n") != std::string::npos; });
  ASSERT_TRUE(interim);
  EXPECT_EQ(interim->rfind("HTTP/1.1 100 Continue\r\n", 0), 0U) << *interim;
  ASSERT_TRUE(client.send("hello"));
  auto response = client.read_response();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->body(), "POST /up 5");
}

TEST(ServerTest, ABodyLimitRuleRaisesTheLimitForItsPathOnly) {
  auto limits = fast_limits();
  limits.max_body_bytes = 1024;
  limits.body_limit_rules.push_back({"/ingest", 8192, "jobs.max_upload_bytes"});
  ServerHarness harness(limits, echo_handler());
  {
    RawClient client(harness.port());
    ASSERT_TRUE(client.send(post_request("/ingest?x=1", std::string(4096, 'x'))));
    auto response = client.read_response();
    ASSERT_TRUE(response);
    EXPECT_EQ(response->body(), "POST /ingest?x=1 4096");
  }
  {
    RawClient client(harness.port());
    ASSERT_TRUE(client.send(post_request("/ingest", std::string(9000, 'x'))));
    auto response = client.read_response();
    ASSERT_TRUE(response);
    EXPECT_EQ(response->result_int(), 413U);
    EXPECT_NE(response->body().find("8 KiB (8192 bytes) (jobs.max_upload_bytes)"),
              std::string::npos)
        << response->body();
  }
  {
    RawClient client(harness.port());
    ASSERT_TRUE(client.send(post_request("/mcp", std::string(4096, 'x'))));
    auto response = client.read_response();
    ASSERT_TRUE(response);
    EXPECT_EQ(response->result_int(), 413U);
    EXPECT_NE(response->body().find("1 KiB (1024 bytes) (server.max_body_bytes)"),
              std::string::npos)
        << response->body();
  }
}

}  // namespace
}  // namespace shield::http

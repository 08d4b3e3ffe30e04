// The Exchange and ResponseStream a handler gets from the Server, driven over real sockets.
#include "shield/http/exchange.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <mutex>

#include <boost/beast/http/field.hpp>
#include <nlohmann/json.hpp>

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

Response json_answer(const Request& request, const nlohmann::json& body) {
  Response response{bhttp::status::ok, request.version()};
  response.set(bhttp::field::content_type, "application/json");
  response.body() = body.dump();
  return response;
}

Response sse_head(const Request& request) {
  Response head{bhttp::status::ok, request.version()};
  head.set(bhttp::field::content_type, "text/event-stream");
  head.set(bhttp::field::cache_control, "no-cache");
  return head;
}

// The parts of a stream a test hands from the handler (io thread) to the test thread.
struct OpenedStream {
  std::promise<std::shared_ptr<ResponseStream>> stream;
  std::promise<void> peer_gone;
  std::promise<void> closed;
};

bool has_body_text(const std::string& bytes, std::string_view text) {
  return bytes.find(text) != std::string::npos;
}

TEST(ExchangeTest, RespondSendsJsonWithLengthAndKeepAlive) {
  ServerHarness harness(fast_limits(), [](const Request& request,
                                          const std::shared_ptr<Exchange>& exchange) {
    auto input = nlohmann::json::parse(request.body());
    exchange->respond(json_answer(request, {{"echo", input["value"]}, {"peer", exchange->peer()}}));
  });
  RawClient client(harness.port());
  ASSERT_TRUE(client.send(post_request("/rpc", R"({"value":"héllo"})")));
  auto response = client.read_response();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->result_int(), 200U);
  EXPECT_EQ((*response)[bhttp::field::content_type], "application/json");
  EXPECT_EQ((*response)[bhttp::field::content_length], std::to_string(response->body().size()));
  EXPECT_TRUE(response->keep_alive());
  auto body = nlohmann::json::parse(response->body());
  EXPECT_EQ(body["echo"], "héllo");
  EXPECT_EQ(body["peer"].get<std::string>().rfind("127.0.0.1:", 0), 0U) << body.dump();
}

TEST(ExchangeTest, RespondingFromAnotherThreadWorks) {
  std::vector<std::thread> workers;
  std::mutex mutex;
  {
    ServerHarness harness(fast_limits(), [&](Request request, std::shared_ptr<Exchange> exchange) {
      std::lock_guard lock(mutex);
      workers.emplace_back([request = std::move(request), exchange = std::move(exchange)] {
        exchange->respond(json_answer(request, {{"from", "worker"}}));
      });
    });
    RawClient client(harness.port());
    ASSERT_TRUE(client.send(get_request("/")));
    auto response = client.read_response();
    ASSERT_TRUE(response);
    EXPECT_EQ(nlohmann::json::parse(response->body())["from"], "worker");
  }
  for (auto& worker : workers) worker.join();
}

TEST(ExchangeTest, HeadRequestGetsLengthButNoBody) {
  ServerHarness harness(fast_limits(),
                        [](const Request& request, const std::shared_ptr<Exchange>& exchange) {
                          exchange->respond(json_answer(request, {{"k", "value"}}));
                        });
  RawClient client(harness.port());
  ASSERT_TRUE(client.send("HEAD / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n" + get_request("/next")));
  auto head = client.read_until([](const std::string& bytes) {
    return bytes.find("\r\n\r\n") != std::string::npos &&
           bytes.find("HTTP/1.1 200", 10) != std::string::npos &&
           bytes.find("\"value\"") != std::string::npos;
  });
  ASSERT_TRUE(head);
  const auto first = head->substr(0, head->find("\r\n\r\n") + 4);
  EXPECT_NE(first.find("Content-Length: 13"), std::string::npos) << first;
  // The very next bytes are the second response: the HEAD answer carried no body.
  EXPECT_EQ(head->substr(first.size()).rfind("HTTP/1.1 200", 0), 0U) << *head;
}

TEST(ExchangeTest, DroppingAnExchangeUnansweredSends500) {
  ServerHarness harness(fast_limits(), [](const Request&, const std::shared_ptr<Exchange>&) {});
  RawClient client(harness.port());
  ASSERT_TRUE(client.send(get_request("/")));
  auto response = client.read_response();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->result_int(), 500U);
  EXPECT_NE(response->body().find("without an answer"), std::string::npos) << response->body();
}

TEST(ExchangeTest, ASecondAnswerIsIgnored) {
  ServerHarness harness(
      fast_limits(), [](const Request& request, const std::shared_ptr<Exchange>& exchange) {
        exchange->respond(json_answer(request, {{"answer", std::string(request.target())}}));
        exchange->respond(json_answer(request, {{"answer", "second"}}));
        auto stream = exchange->start_stream(sse_head(request));
        EXPECT_TRUE(stream->closed());
        EXPECT_FALSE(stream->write("data: late\n\n"));
      });
  RawClient client(harness.port());
  ASSERT_TRUE(client.send(get_request("/a") + get_request("/b")));
  auto a = client.read_response();
  auto b = client.read_response();
  ASSERT_TRUE(a);
  ASSERT_TRUE(b);
  EXPECT_EQ(nlohmann::json::parse(a->body())["answer"], "/a");
  EXPECT_EQ(nlohmann::json::parse(b->body())["answer"], "/b");
  EXPECT_FALSE(client.read_response(100ms)) << "no stray third response";
}

TEST(ExchangeTest, StreamDeliversChunksInOrderThenServesTheNextRequest) {
  OpenedStream opened;
  ServerHarness harness(fast_limits(),
                        [&](const Request& request, const std::shared_ptr<Exchange>& exchange) {
                          if (request.target() == "/events") {
                            auto stream = exchange->start_stream(sse_head(request));
                            stream->on_closed([&] { opened.closed.set_value(); });
                            opened.stream.set_value(stream);
                            return;
                          }
                          exchange->respond(json_answer(request, {{"after", "stream"}}));
                        });
  RawClient client(harness.port());
  ASSERT_TRUE(client.send(get_request("/events")));
  auto stream = opened.stream.get_future().get();

  ASSERT_TRUE(stream->write("data: one\n\n"));
  // The first chunk arrives while the stream is still open: it is not buffered to the end.
  auto head =
      client.read_until([](const std::string& b) { return has_body_text(b, "data: one\n\n\r\n"); });
  ASSERT_TRUE(head);
  EXPECT_NE(head->find("Transfer-Encoding: chunked"), std::string::npos) << *head;
  EXPECT_NE(head->find("Content-Type: text/event-stream"), std::string::npos) << *head;
  EXPECT_EQ(head->find("Content-Length"), std::string::npos) << *head;

  std::thread writer([&] {
    for (int i = 2; i <= 50; ++i) stream->write("data: " + std::to_string(i) + "\n\n");
    stream->close();
  });
  writer.join();
  EXPECT_FALSE(stream->write("data: after close\n\n"));
  EXPECT_TRUE(stream->closed());
  auto rest = client.read_until(
      [](const std::string& b) { return b.size() >= 5 && b.ends_with("0\r\n\r\n"); });
  ASSERT_TRUE(rest);
  EXPECT_EQ(opened.closed.get_future().wait_for(5s), std::future_status::ready);

  // Decode the chunked body the test received after "one" and check the order.
  std::string body;
  std::string_view raw = *rest;
  while (!raw.empty()) {
    const auto line_end = raw.find("\r\n");
    ASSERT_NE(line_end, std::string_view::npos);
    const auto size = std::stoul(std::string(raw.substr(0, line_end)), nullptr, 16);
    raw.remove_prefix(line_end + 2);
    if (size == 0) break;
    body += raw.substr(0, size);
    raw.remove_prefix(size + 2);
  }
  std::string expected;
  for (int i = 2; i <= 50; ++i) expected += "data: " + std::to_string(i) + "\n\n";
  EXPECT_EQ(body, expected);

  ASSERT_TRUE(client.send(get_request("/next")));
  auto next = client.read_response();
  ASSERT_TRUE(next);
  EXPECT_EQ(nlohmann::json::parse(next->body())["after"], "stream");
}

TEST(ExchangeTest, StreamIsParsedAsAChunkedResponseByAClient) {
  ServerHarness harness(fast_limits(),
                        [](const Request& request, const std::shared_ptr<Exchange>& exchange) {
                          auto stream = exchange->start_stream(sse_head(request));
                          stream->write("event: a\n\n");
                          stream->write("");  // an empty write must not end the body early
                          stream->write("event: b\n\n");
                          stream->close();
                        });
  RawClient client(harness.port());
  ASSERT_TRUE(client.send(get_request("/events")));
  auto response = client.read_response();
  ASSERT_TRUE(response);
  EXPECT_TRUE(response->chunked());
  EXPECT_EQ(response->body(), "event: a\n\nevent: b\n\n");
}

TEST(ExchangeTest, DroppingAnOpenStreamEndsItsBody) {
  ServerHarness harness(fast_limits(),
                        [](const Request& request, const std::shared_ptr<Exchange>& exchange) {
                          if (request.target() == "/events") {
                            auto stream = exchange->start_stream(sse_head(request));
                            stream->write("data: last words\n\n");
                            return;  // neither closed nor kept
                          }
                          exchange->respond(json_answer(request, {{"next", true}}));
                        });
  RawClient client(harness.port());
  ASSERT_TRUE(client.send(get_request("/events") + get_request("/next")));
  auto stream = client.read_response();
  ASSERT_TRUE(stream);
  EXPECT_EQ(stream->body(), "data: last words\n\n");
  auto next = client.read_response();
  ASSERT_TRUE(next);
  EXPECT_EQ(nlohmann::json::parse(next->body())["next"], true);
}

TEST(ExchangeTest, AStreamWhosePeerDoesNotReadIsClosedAtTheBacklogBound) {
  OpenedStream opened;
  ServerHarness harness(fast_limits(),
                        [&](const Request& request, const std::shared_ptr<Exchange>& exchange) {
                          exchange->on_peer_gone([&] { opened.peer_gone.set_value(); });
                          auto stream = exchange->start_stream(sse_head(request));
                          stream->on_closed([&] { opened.closed.set_value(); });
                          opened.stream.set_value(stream);
                        });
  RawClient client(harness.port());
  ASSERT_TRUE(client.send(get_request("/events")));
  auto stream = opened.stream.get_future().get();
  const std::string piece(std::size_t{64} * 1024, 'x');
  // 32 MiB is more than loopback socket buffers and the server's backlog bound together.
  for (int i = 0; i < 512 && !stream->closed(); ++i) stream->write("data: " + piece + "\n\n");
  EXPECT_EQ(opened.closed.get_future().wait_for(10s), std::future_status::ready);
  EXPECT_EQ(opened.peer_gone.get_future().wait_for(5s), std::future_status::ready);
  EXPECT_TRUE(client.wait_closed(5s));
}

TEST(ExchangeTest, PeerGoneFiresWhenTheClientLeavesDuringAStream) {
  OpenedStream opened;
  ServerHarness harness(fast_limits(),
                        [&](const Request& request, const std::shared_ptr<Exchange>& exchange) {
                          exchange->on_peer_gone([&] { opened.peer_gone.set_value(); });
                          auto stream = exchange->start_stream(sse_head(request));
                          stream->on_closed([&] { opened.closed.set_value(); });
                          opened.stream.set_value(stream);
                        });
  RawClient client(harness.port());
  ASSERT_TRUE(client.send(get_request("/events")));
  auto stream = opened.stream.get_future().get();
  ASSERT_TRUE(stream->write("data: hello\n\n"));
  ASSERT_TRUE(client.read_until([](const std::string& b) { return has_body_text(b, "hello"); }));

  client.close();
  EXPECT_EQ(opened.peer_gone.get_future().wait_for(5s), std::future_status::ready);
  EXPECT_EQ(opened.closed.get_future().wait_for(5s), std::future_status::ready);
  EXPECT_TRUE(stream->closed());
  EXPECT_FALSE(stream->write("data: nobody listens\n\n"));
}

TEST(ExchangeTest, PeerGoneFiresForAnUnansweredRequest) {
  std::promise<void> gone;
  std::promise<std::shared_ptr<Exchange>> held;
  ServerHarness harness(fast_limits(),
                        [&](const Request&, const std::shared_ptr<Exchange>& exchange) {
                          exchange->on_peer_gone([&] { gone.set_value(); });
                          held.set_value(exchange);
                        });
  RawClient client(harness.port());
  ASSERT_TRUE(client.send(get_request("/slow")));
  auto exchange = held.get_future().get();
  client.close();
  EXPECT_EQ(gone.get_future().wait_for(5s), std::future_status::ready);
  // Registering after the fact still runs the callback, at once.
  bool late = false;
  exchange->on_peer_gone([&] { late = true; });
  EXPECT_TRUE(late);
}

TEST(ExchangeTest, PeerGoneDoesNotFireOnceAnswered) {
  std::promise<void> answered;
  std::atomic<bool> gone{false};
  ServerHarness harness(fast_limits(),
                        [&](const Request& request, const std::shared_ptr<Exchange>& exchange) {
                          exchange->on_peer_gone([&] { gone = true; });
                          exchange->respond(json_answer(request, {{"ok", true}}));
                          answered.set_value();
                        });
  {
    RawClient client(harness.port());
    ASSERT_TRUE(client.send(get_request("/")));
    ASSERT_TRUE(client.read_response());
  }
  answered.get_future().wait();
  // Drain completes once the server has torn the closed connection down.
  std::promise<void> drained;
  harness.server().drain([&] { drained.set_value(); });
  ASSERT_EQ(drained.get_future().wait_for(5s), std::future_status::ready);
  EXPECT_FALSE(gone.load());
}

TEST(ExchangeTest, OpenStreamOutlivesTheIdleTimeout) {
  auto limits = fast_limits();
  limits.idle_timeout = 50ms;
  OpenedStream opened;
  ServerHarness harness(limits,
                        [&](const Request& request, const std::shared_ptr<Exchange>& exchange) {
                          opened.stream.set_value(exchange->start_stream(sse_head(request)));
                        });
  RawClient client(harness.port());
  ASSERT_TRUE(client.send(get_request("/events")));
  auto stream = opened.stream.get_future().get();
  ASSERT_TRUE(client.read_until(
      [](const std::string& b) { return b.find("\r\n\r\n") != std::string::npos; }));
  // Six idle timeouts pass with the stream silent; it must stay open.
  EXPECT_FALSE(client.wait_closed(300ms));
  ASSERT_TRUE(stream->write("data: still here\n\n"));
  EXPECT_TRUE(client.read_until([](const std::string& b) { return has_body_text(b, "still"); }));
  stream->close();
  // Once nothing is owed, the idle timeout applies again.
  EXPECT_TRUE(client.wait_closed(3s));
}

}  // namespace
}  // namespace shield::http

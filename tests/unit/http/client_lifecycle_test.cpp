// Concurrency, connection reuse, where completions run, cancellation, shutdown and
// destruction with requests in flight.
#include <chrono>
#include <future>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>

#include "shield/http/client.hpp"
#include "unit/http/client_test_loop.hpp"
#include "unit/http/client_test_server.hpp"

namespace shield::http {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;
using client_testing::ClientLoop;
using client_testing::Countdown;
using client_testing::describe;
using client_testing::get;
using client_testing::ScriptedServer;
using client_testing::ServerConnection;
using Json = nlohmann::json;
using Clock = std::chrono::steady_clock;
using Strand = asio::strand<asio::io_context::executor_type>;

// Answers every request with its target, on a keep-alive connection.
void echo_target(ServerConnection& connection) {
  while (auto request = connection.read_request()) {
    if (!connection.respond(200, request->target)) return;
  }
}

// Reads one request, reports it, then holds the connection open until the client leaves.
struct Staller {
  Countdown requests;
  Countdown hang_ups;

  ScriptedServer::Script script() {
    return [this](ServerConnection& connection) {
      if (!connection.read_request()) return;
      requests.arrive();
      if (connection.wait_for_close(5s)) hang_ups.arrive();
    };
  }
};

void expect_cancelled(const ClientResult& result, const std::string& needle) {
  ASSERT_FALSE(result) << describe(result);
  EXPECT_EQ(result.error().kind, ClientErrorKind::kCancelled) << describe(result);
  EXPECT_NE(result.error().message.find(needle), std::string::npos) << result.error().message;
}

TEST(ClientLifecycle, HundredConcurrentRequestsOnTwoThreadsAllGetTheirOwnAnswer) {
  ScriptedServer server(echo_target);
  ClientOptions options;
  options.max_connections_per_host = 8;
  ClientLoop loop(options, 2);
  std::vector<std::future<ClientResult>> pending;
  for (int i = 0; i < 100; ++i)
    pending.push_back(loop.start(get(server.url("/item/" + std::to_string(i)))));
  for (int i = 0; i < 100; ++i) {
    auto result = ClientLoop::wait(std::move(pending[static_cast<std::size_t>(i)]));
    ASSERT_TRUE(result) << i << ": " << describe(result);
    EXPECT_EQ(result->status, 200u);
    EXPECT_EQ(result->body, "/item/" + std::to_string(i));
  }
  EXPECT_GE(server.connections(), 1u);
  EXPECT_LE(server.connections(), 8u) << "the per-host connection cap holds";
}

TEST(ClientLifecycle, SequentialRequestsReuseOneKeepAliveConnection) {
  ScriptedServer server(echo_target);
  ClientLoop loop;
  for (int i = 0; i < 5; ++i) {
    auto result = loop.send(get(server.url("/seq/" + std::to_string(i))));
    ASSERT_TRUE(result) << describe(result);
    EXPECT_EQ(result->body, "/seq/" + std::to_string(i));
  }
  EXPECT_EQ(server.connections(), 1u);
}

asio::awaitable<bool> send_on(Client& client, ClientRequest request, Strand strand) {
  auto result = co_await client.send(std::move(request));
  co_return strand.running_in_this_thread() && result && result->body == "/on-strand";
}

TEST(ClientLifecycle, CompletionResumesTheCoroutineOnItsOwnExecutor) {
  ScriptedServer server(echo_target);
  ClientLoop loop;
  for (int i = 0; i < 10; ++i) {
    Strand strand = asio::make_strand(loop.io());
    auto resumed = asio::co_spawn(
        strand, send_on(loop.client(), get(server.url("/on-strand")), strand), asio::use_future);
    ASSERT_EQ(resumed.wait_for(10s), std::future_status::ready);
    EXPECT_TRUE(resumed.get());
  }
}

TEST(ClientLifecycle, TrippedTokenAbortsPromptlyAndHangsUp) {
  Staller staller;
  ScriptedServer server(staller.script());
  ClientLoop loop;
  CancellationSource source;
  auto pending = loop.start(get(server.url("/hang")), source.token());
  ASSERT_TRUE(staller.requests.wait_for(1));
  auto cancelled_at = Clock::now();
  source.cancel("the MCP client went away");
  auto result = ClientLoop::wait(std::move(pending));
  EXPECT_LT(Clock::now() - cancelled_at, 1s);
  expect_cancelled(result, "the MCP client went away");
  EXPECT_TRUE(staller.hang_ups.wait_for(1)) << "the server connection is closed";
}

TEST(ClientLifecycle, AsioCancellationSlotAbortsTheRequest) {
  Staller staller;
  ScriptedServer server(staller.script());
  ClientLoop loop;
  Strand strand = asio::make_strand(loop.io());
  asio::cancellation_signal signal;
  auto pending = asio::co_spawn(strand, loop.client().send(get(server.url("/hang"))),
                                asio::bind_cancellation_slot(signal.slot(), asio::use_future));
  ASSERT_TRUE(staller.requests.wait_for(1));
  asio::post(strand, [&signal] { signal.emit(asio::cancellation_type::terminal); });
  expect_cancelled(ClientLoop::wait(std::move(pending)), "cancelled");
  EXPECT_TRUE(staller.hang_ups.wait_for(1));
}

TEST(ClientLifecycle, AlreadyTrippedTokenNeverReachesTheNetwork) {
  ScriptedServer server(echo_target);
  ClientLoop loop;
  CancellationSource source;
  source.cancel("shutting down");
  expect_cancelled(loop.send(get(server.url()), source.token()), "shutting down");
  EXPECT_EQ(server.connections(), 0u);
}

TEST(ClientLifecycle, CancellingOneRequestLeavesTheOthersAlone) {
  Countdown hung;
  ScriptedServer server([&](ServerConnection& connection) {
    while (auto request = connection.read_request()) {
      if (request->target == "/hang") {
        hung.arrive();
        connection.wait_for_close(5s);
        return;
      }
      if (!connection.respond(200, request->target)) return;
    }
  });
  ClientLoop loop;
  CancellationSource source;
  auto hanging = loop.start(get(server.url("/hang")), source.token());
  ASSERT_TRUE(hung.wait_for(1));
  std::vector<std::future<ClientResult>> others;
  for (int i = 0; i < 3; ++i)
    others.push_back(loop.start(get(server.url("/ok/" + std::to_string(i)))));
  source.cancel("enough");
  expect_cancelled(ClientLoop::wait(std::move(hanging)), "enough");
  for (int i = 0; i < 3; ++i) {
    auto result = ClientLoop::wait(std::move(others[static_cast<std::size_t>(i)]));
    ASSERT_TRUE(result) << describe(result);
    EXPECT_EQ(result->body, "/ok/" + std::to_string(i));
  }
}

TEST(ClientLifecycle, RequestQueuedBehindTheConnectionCapCanBeCancelled) {
  Staller staller;
  ScriptedServer server(staller.script());
  ClientOptions options;
  options.max_connections_per_host = 1;
  ClientLoop loop(options);
  CancellationSource first_source;
  CancellationSource queued_source;
  auto first = loop.start(get(server.url("/first")), first_source.token());
  ASSERT_TRUE(staller.requests.wait_for(1));
  auto queued = loop.start(get(server.url("/queued")), queued_source.token());
  queued_source.cancel("queued too long");
  expect_cancelled(ClientLoop::wait(std::move(queued)), "queued too long");
  first_source.cancel("done");
  expect_cancelled(ClientLoop::wait(std::move(first)), "done");
  EXPECT_EQ(server.connections(), 1u);
  EXPECT_EQ(staller.requests.count(), 1u);
}

TEST(ClientLifecycle, TokenTrippedAfterCompletionChangesNothing) {
  ScriptedServer server(echo_target);
  ClientLoop loop;
  CancellationSource source;
  auto first = loop.send(get(server.url("/a")), source.token());
  ASSERT_TRUE(first) << describe(first);
  source.cancel("late");
  auto second = loop.send(get(server.url("/b")));
  ASSERT_TRUE(second) << describe(second);
  EXPECT_EQ(second->body, "/b");
}

TEST(ClientLifecycle, ShutdownAbortsEverythingInFlightAndRefusesNewRequests) {
  Staller staller;
  ScriptedServer server(staller.script());
  ClientLoop loop;
  std::vector<std::future<ClientResult>> pending;
  for (int i = 0; i < 3; ++i) pending.push_back(loop.start(get(server.url("/hang"))));
  ASSERT_TRUE(staller.requests.wait_for(3));
  loop.client().shutdown();
  for (auto& future : pending) expect_cancelled(ClientLoop::wait(std::move(future)), "shut down");
  EXPECT_TRUE(staller.hang_ups.wait_for(3));

  expect_cancelled(loop.send(get(server.url("/after"))), "shut down");
  EXPECT_EQ(server.connections(), 3u);
}

TEST(ClientLifecycle, DestroyingTheClientWithRequestsInFlightCancelsThem) {
  Staller staller;
  ScriptedServer server(staller.script());
  ClientLoop loop;
  std::vector<std::future<ClientResult>> pending;
  for (int i = 0; i < 2; ++i) pending.push_back(loop.start(get(server.url("/hang"))));
  ASSERT_TRUE(staller.requests.wait_for(2));
  loop.destroy_client();
  for (auto& future : pending) expect_cancelled(ClientLoop::wait(std::move(future)), "shut down");
  EXPECT_TRUE(staller.hang_ups.wait_for(2));
}

}  // namespace
}  // namespace shield::http

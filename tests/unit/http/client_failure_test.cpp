// How transport failures come back: each curl failure maps to the ClientErrorKind a caller
// (the backend wrapper, the crawler) decides on, with curl's reason as the message.
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <future>
#include <string>

#include <gtest/gtest.h>

#include "shield/http/client.hpp"
#include "unit/http/client_test_loop.hpp"
#include "unit/http/client_test_server.hpp"

namespace shield::http {
namespace {

using namespace std::chrono_literals;
using client_testing::ClientLoop;
using client_testing::describe;
using client_testing::get;
using client_testing::ScriptedServer;
using client_testing::ServerConnection;
using Clock = std::chrono::steady_clock;

// A port on 127.0.0.1 that is bound but not listening: connecting to it is refused.
class RefusingPort {
 public:
  RefusingPort() {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    auto* raw = reinterpret_cast<sockaddr*>(&address);
    socklen_t length = sizeof(address);
    if (fd_ < 0 || ::bind(fd_, raw, sizeof(address)) != 0 ||
        ::getsockname(fd_, raw, &length) != 0) {
      throw std::runtime_error("cannot bind a test port");
    }
    port_ = ntohs(address.sin_port);
  }
  ~RefusingPort() { ::close(fd_); }
  RefusingPort(const RefusingPort&) = delete;
  RefusingPort& operator=(const RefusingPort&) = delete;
  [[nodiscard]] std::string url() const {
    return "http://127.0.0.1:" + std::to_string(port_) + "/";
  }

 private:
  int fd_ = -1;
  std::uint16_t port_ = 0;
};

ClientErrorKind kind_of(const ClientResult& result) {
  EXPECT_FALSE(result) << describe(result);
  return result ? ClientErrorKind::kOther : result.error().kind;
}

TEST(ClientFailure, RefusedConnectionIsAConnectErrorAndFast) {
  RefusingPort port;
  ClientLoop loop;
  auto before = Clock::now();
  auto result = loop.send(get(port.url()));
  auto took = Clock::now() - before;
  EXPECT_EQ(kind_of(result), ClientErrorKind::kConnect);
  ASSERT_FALSE(result);
  EXPECT_NE(result.error().message.find("refused"), std::string::npos) << result.error().message;
  EXPECT_LT(took, 1s);
}

TEST(ClientFailure, SilentServerTimesOutNearTheTotalTimeoutAndIsHungUpOn) {
  std::promise<bool> hung_up;
  ScriptedServer server([&](ServerConnection& connection) {
    if (!connection.read_request()) return;
    hung_up.set_value(connection.wait_for_close(5s));
  });
  ClientLoop loop;
  ClientRequest request = get(server.url("/slow"));
  request.total_timeout = 200ms;
  auto before = Clock::now();
  auto result = loop.send(request);
  auto took = Clock::now() - before;
  EXPECT_EQ(kind_of(result), ClientErrorKind::kTimeout);
  ASSERT_FALSE(result);
  EXPECT_NE(result.error().message.find("timed out"), std::string::npos) << result.error().message;
  EXPECT_GE(took, 190ms);
  EXPECT_LT(took, 1500ms);
  auto closed = hung_up.get_future();
  ASSERT_EQ(closed.wait_for(5s), std::future_status::ready);
  EXPECT_TRUE(closed.get());
}

TEST(ClientFailure, AnnouncedLengthPastTheLimitIsRefusedBeforeTheBody) {
  // The body never comes: only the announced Content-Length can trigger the refusal.
  ScriptedServer server([](ServerConnection& connection) {
    if (!connection.read_request()) return;
    connection.send("HTTP/1.1 200 OK\r\nContent-Length: 1000000\r\n\r\nfirst bytes");
    connection.wait_for_close(5s);
  });
  ClientLoop loop;
  ClientRequest request = get(server.url());
  request.max_response_bytes = 999;
  request.total_timeout = 5s;
  auto before = Clock::now();
  auto result = loop.send(request);
  EXPECT_LT(Clock::now() - before, 2s);
  EXPECT_EQ(kind_of(result), ClientErrorKind::kTooLarge);
  ASSERT_FALSE(result);
  EXPECT_NE(result.error().message.find("999"), std::string::npos) << result.error().message;
}

TEST(ClientFailure, BodyUpToTheLimitIsAcceptedAndOneByteMoreIsNot) {
  ScriptedServer server([](ServerConnection& connection) {
    while (connection.read_request()) connection.respond(200, std::string(1000, 'a'));
  });
  ClientLoop loop;
  ClientRequest request = get(server.url());
  request.max_response_bytes = 1000;
  auto exact = loop.send(request);
  ASSERT_TRUE(exact) << describe(exact);
  EXPECT_EQ(exact->body, std::string(1000, 'a'));

  request.max_response_bytes = 999;
  EXPECT_EQ(kind_of(loop.send(request)), ClientErrorKind::kTooLarge);
}

TEST(ClientFailure, ChunkedBodyWithoutLengthIsCappedWhileStreaming) {
  std::promise<bool> hung_up;
  ScriptedServer server([&](ServerConnection& connection) {
    if (!connection.read_request()) return;
    connection.send("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
    const std::string chunk(4096, 'b');
    // Far more than the cap; the client must stop reading and hang up long before the end.
    bool writing = true;
    for (int i = 0; i < 64 && writing; ++i) {
      writing = connection.send("1000\r\n" + chunk + "\r\n");
    }
    hung_up.set_value(connection.wait_for_close(5s));
  });
  ClientLoop loop;
  ClientRequest request = get(server.url());
  request.max_response_bytes = 10'000;
  auto result = loop.send(request);
  EXPECT_EQ(kind_of(result), ClientErrorKind::kTooLarge);
  auto closed = hung_up.get_future();
  ASSERT_EQ(closed.wait_for(5s), std::future_status::ready);
  EXPECT_TRUE(closed.get());
}

TEST(ClientFailure, ConnectionClosedMidBodyIsAReset) {
  ScriptedServer server([](ServerConnection& connection) {
    if (!connection.read_request()) return;
    connection.send("HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\nonly ten b");
  });
  ClientLoop loop;
  EXPECT_EQ(kind_of(loop.send(get(server.url()))), ClientErrorKind::kReset);
}

TEST(ClientFailure, ConnectionClosedWithoutAnswerIsAReset) {
  ScriptedServer server([](ServerConnection& connection) { connection.read_request(); });
  ClientLoop loop;
  EXPECT_EQ(kind_of(loop.send(get(server.url()))), ClientErrorKind::kReset);
}

TEST(ClientFailure, ConnectionResetIsAReset) {
  ScriptedServer server([](ServerConnection& connection) {
    if (!connection.read_request()) return;
    connection.send("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\npartial");
    connection.reset();
  });
  ClientLoop loop;
  EXPECT_EQ(kind_of(loop.send(get(server.url()))), ClientErrorKind::kReset);
}

TEST(ClientFailure, PlaintextPeerOnHttpsIsATlsError) {
  ScriptedServer server([](ServerConnection& connection) {
    connection.send("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n");
    connection.wait_for_close();
  });
  ClientLoop loop;
  auto url = server.url();
  url.replace(0, 4, "https");
  EXPECT_EQ(kind_of(loop.send(get(url))), ClientErrorKind::kTls);
}

}  // namespace
}  // namespace shield::http

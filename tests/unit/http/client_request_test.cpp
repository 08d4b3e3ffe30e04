// What the client puts on the wire and what it makes of the answer: methods, bodies,
// headers, encodings, redirects, pinning, proxies, and requests it must refuse to send.
#include <cstdlib>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "shield/http/client.hpp"
#include "unit/http/client_test_loop.hpp"
#include "unit/http/client_test_server.hpp"

namespace shield::http {
namespace {

using client_testing::ClientLoop;
using client_testing::describe;
using client_testing::get;
using client_testing::RecordedRequest;
using client_testing::ScriptedServer;
using client_testing::ServerConnection;
using Json = nlohmann::json;

Json to_json(const RecordedRequest& request) {
  return Json{{"method", request.method},
              {"target", request.target},
              {"headers", request.headers},
              {"body", request.body}};
}

// Answers every request on the connection with a JSON description of it.
void echo(ServerConnection& connection) {
  while (auto request = connection.read_request()) {
    if (!connection.respond(200, to_json(*request).dump(), {{"Content-Type", "application/json"}}))
      return;
  }
}

// Sends `raw` as the whole answer to the first request, then waits for the client to go.
ScriptedServer::Script answer_with(std::string raw) {
  return [raw = std::move(raw)](ServerConnection& connection) {
    if (!connection.read_request()) return;
    connection.send(raw);
    connection.wait_for_close();
  };
}

Json echoed(const ClientResult& result) {
  EXPECT_TRUE(result.has_value()) << describe(result);
  if (!result) return Json::object();
  return Json::parse(result->body);
}

TEST(ClientRequest, MethodsCarryTheirJsonBodiesAndHeaders) {
  ScriptedServer server(echo);
  ClientLoop loop;
  for (std::string method : {"POST", "PUT", "PATCH", "DELETE"}) {
    ClientRequest request;
    request.method = method;
    request.url = server.url("/collections/docs?wait=true");
    request.body = Json{{"method", method}, {"points", {1, 2, 3}}}.dump();
    request.headers = {{"api-key", "secret-" + method}, {"X-Trace", "t1"}};
    auto answer = echoed(loop.send(request));
    EXPECT_EQ(answer["method"], method);
    EXPECT_EQ(answer["target"], "/collections/docs?wait=true");
    EXPECT_EQ(Json::parse(answer["body"].get<std::string>()),
              (Json{{"method", method}, {"points", {1, 2, 3}}}));
    EXPECT_EQ(answer["headers"]["api-key"], "secret-" + method);
    EXPECT_EQ(answer["headers"]["x-trace"], "t1");
    EXPECT_EQ(answer["headers"]["content-type"], "application/json") << method;
    EXPECT_EQ(answer["headers"]["content-length"], std::to_string(request.body.size()));
  }
}

TEST(ClientRequest, GetAndBodylessDeleteSendNoBody) {
  ScriptedServer server(echo);
  ClientLoop loop;
  auto got = echoed(loop.send(get(server.url("/jobs/42"))));
  EXPECT_EQ(got["method"], "GET");
  EXPECT_EQ(got["target"], "/jobs/42");
  EXPECT_EQ(got["body"], "");
  EXPECT_FALSE(got["headers"].contains("content-type"));
  EXPECT_FALSE(got["headers"].contains("content-length"));

  ClientRequest remove = get(server.url("/collections/old"));
  remove.method = "DELETE";
  auto removed = echoed(loop.send(remove));
  EXPECT_EQ(removed["method"], "DELETE");
  EXPECT_EQ(removed["body"], "");
  EXPECT_FALSE(removed["headers"].contains("content-length"));
}

TEST(ClientRequest, EmptyPostSendsZeroContentLength) {
  ScriptedServer server(echo);
  ClientLoop loop;
  ClientRequest request = get(server.url("/ping"));
  request.method = "POST";
  auto answer = echoed(loop.send(request));
  EXPECT_EQ(answer["method"], "POST");
  EXPECT_EQ(answer["headers"]["content-length"], "0");
  EXPECT_FALSE(answer["headers"].contains("content-type"));
}

TEST(ClientRequest, CallerContentTypeWinsAndLargeBodiesSkipExpectContinue) {
  ScriptedServer server(echo);
  ClientLoop loop;
  ClientRequest request = get(server.url("/upload"));
  request.method = "POST";
  request.body = std::string(2 * 1024 * 1024, 'x');
  request.headers = {{"Content-Type", "text/plain"}};
  auto answer = echoed(loop.send(request));
  EXPECT_EQ(answer["headers"]["content-type"], "text/plain");
  EXPECT_FALSE(answer["headers"].contains("expect"));
  EXPECT_EQ(answer["body"].get<std::string>().size(), request.body.size());
}

TEST(ClientRequest, EmptyHeaderValueIsSentEmpty) {
  ScriptedServer server(echo);
  ClientLoop loop;
  ClientRequest request = get(server.url());
  request.headers = {{"X-Empty", ""}};
  auto answer = echoed(loop.send(request));
  ASSERT_TRUE(answer["headers"].contains("x-empty"));
  EXPECT_EQ(answer["headers"]["x-empty"], "");
}

TEST(ClientRequest, UserAgentComesFromOptionsUnlessTheRequestSetsOne) {
  ScriptedServer server(echo);
  ClientOptions options;
  options.user_agent = "shield-mcp/9.9 (test)";
  ClientLoop loop(options);
  EXPECT_EQ(echoed(loop.send(get(server.url())))["headers"]["user-agent"], "shield-mcp/9.9 (test)");
  ClientRequest request = get(server.url());
  request.headers = {{"User-Agent", "crawler/1"}};
  EXPECT_EQ(echoed(loop.send(request))["headers"]["user-agent"], "crawler/1");
}

TEST(ClientRequest, HeadReturnsHeadersWithoutBodyEvenWhenContentLengthIsLarge) {
  ScriptedServer server([](ServerConnection& connection) {
    auto request = connection.read_request();
    if (!request) return;
    connection.send("HTTP/1.1 200 OK\r\nContent-Length: 5000000\r\nX-Method: " + request->method +
                    "\r\n\r\n");
    connection.wait_for_close();
  });
  ClientLoop loop;
  ClientRequest request = get(server.url("/big.pdf"));
  request.method = "HEAD";
  request.max_response_bytes = 100;
  auto result = loop.send(request);
  ASSERT_TRUE(result) << describe(result);
  EXPECT_EQ(result->status, 200u);
  EXPECT_EQ(result->body, "");
  EXPECT_EQ(result->header("content-length"), "5000000");
  EXPECT_EQ(result->header("x-method"), "HEAD");
}

TEST(ClientRequest, ResponseHeadersAreLowerCasedTrimmedAndJoined) {
  ScriptedServer server(
      answer_with("HTTP/1.1 200 OK\r\n"
                  "X-Multi: a\r\n"
                  "x-MULTI: b\r\n"
                  "Content-Type: application/json; charset=utf-8\r\n"
                  "X-Padded:    padded value  \r\n"
                  "X-Folded: first\r\n"
                  "   second\r\n"
                  "Content-Length: 11\r\n"
                  "\r\n"
                  "{\"ok\":true}"));
  ClientLoop loop;
  auto result = loop.send(get(server.url("/h")));
  ASSERT_TRUE(result) << describe(result);
  EXPECT_EQ(result->status, 200u);
  EXPECT_EQ(result->body, "{\"ok\":true}");
  EXPECT_EQ(result->header("x-multi"), "a, b");
  EXPECT_EQ(result->header("content-type"), "application/json; charset=utf-8");
  EXPECT_EQ(result->header("x-padded"), "padded value");
  EXPECT_EQ(result->header("x-folded"), "first second");
  EXPECT_EQ(result->header("content-length"), "11");
  EXPECT_EQ(result->header("X-Multi"), std::nullopt) << "lookups use lower-case names";
  EXPECT_EQ(result->effective_url, server.url("/h"));
  EXPECT_GT(result->elapsed.count(), 0);
}

TEST(ClientRequest, InterimResponsesDoNotLeakHeaders) {
  ScriptedServer server(
      answer_with("HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n"
                  "HTTP/1.1 200 OK\r\nX-Final: yes\r\nContent-Length: 2\r\n\r\nok"));
  ClientLoop loop;
  auto result = loop.send(get(server.url()));
  ASSERT_TRUE(result) << describe(result);
  EXPECT_EQ(result->status, 200u);
  EXPECT_EQ(result->body, "ok");
  EXPECT_EQ(result->header("x-final"), "yes");
  EXPECT_EQ(result->header("link"), std::nullopt);
}

ScriptedServer::Script redirecting() {
  return [](ServerConnection& connection) {
    while (auto request = connection.read_request()) {
      if (request->target == "/start") {
        connection.respond(302, "moved", {{"Location", "/final"}, {"X-Hop", "first"}});
      } else {
        connection.respond(200, "arrived at " + request->target, {{"X-Hop", "final"}});
      }
    }
  };
}

TEST(ClientRequest, RedirectsAreFollowedOnlyWhenAskedAndOnlyFinalHeadersRemain) {
  ScriptedServer server(redirecting());
  ClientLoop loop;

  auto stopped = loop.send(get(server.url("/start")));
  ASSERT_TRUE(stopped) << describe(stopped);
  EXPECT_EQ(stopped->status, 302u);
  EXPECT_EQ(stopped->header("location"), "/final");
  EXPECT_EQ(stopped->body, "moved");
  EXPECT_EQ(stopped->effective_url, server.url("/start"));

  ClientRequest follow = get(server.url("/start"));
  follow.follow_redirects = true;
  auto followed = loop.send(follow);
  ASSERT_TRUE(followed) << describe(followed);
  EXPECT_EQ(followed->status, 200u);
  EXPECT_EQ(followed->body, "arrived at /final");
  EXPECT_EQ(followed->header("x-hop"), "final");
  EXPECT_EQ(followed->header("location"), std::nullopt);
  EXPECT_EQ(followed->effective_url, server.url("/final"));
}

TEST(ClientRequest, RedirectToANonHttpSchemeIsRefused) {
  ScriptedServer server([](ServerConnection& connection) {
    if (!connection.read_request()) return;
    connection.respond(302, "", {{"Location", "file:///etc/passwd"}});
    connection.wait_for_close();
  });
  ClientLoop loop;
  ClientRequest request = get(server.url("/"));
  request.follow_redirects = true;
  auto result = loop.send(request);
  ASSERT_FALSE(result) << describe(result);
  EXPECT_EQ(result.error().kind, ClientErrorKind::kInvalid) << describe(result);
}

TEST(ClientRequest, ErrorStatusesAreResponsesNotErrors) {
  ScriptedServer server([](ServerConnection& connection) {
    while (auto request = connection.read_request()) {
      if (request->target == "/missing") {
        connection.respond(404, R"({"status":{"error":"Not found: Collection `x`"}})");
      } else {
        connection.respond(503, "overloaded", {{"Retry-After", "7"}});
      }
    }
  });
  ClientLoop loop;
  auto missing = loop.send(get(server.url("/missing")));
  ASSERT_TRUE(missing) << describe(missing);
  EXPECT_EQ(missing->status, 404u);
  EXPECT_EQ(Json::parse(missing->body)["status"]["error"], "Not found: Collection `x`");

  auto busy = loop.send(get(server.url("/busy")));
  ASSERT_TRUE(busy) << describe(busy);
  EXPECT_EQ(busy->status, 503u);
  EXPECT_EQ(busy->body, "overloaded");
  EXPECT_EQ(busy->header("retry-after"), "7");
}

// gzip and zlib streams made of one stored (uncompressed) deflate block: valid encodings
// any inflater must accept, built without a compression library.
std::uint32_t crc32_of(std::string_view data) {
  std::uint32_t crc = 0xFFFFFFFFu;
  for (unsigned char byte : data) {
    crc ^= byte;
    for (int bit = 0; bit < 8; ++bit) crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
  }
  return ~crc;
}

std::uint32_t adler32_of(std::string_view data) {
  std::uint32_t a = 1;
  std::uint32_t b = 0;
  for (unsigned char byte : data) {
    a = (a + byte) % 65521u;
    b = (b + a) % 65521u;
  }
  return (b << 16) | a;
}

std::string stored_deflate_block(std::string_view data) {
  const auto length = static_cast<std::uint16_t>(data.size());
  const auto inverse = static_cast<std::uint16_t>(~length);
  std::string out;
  out += '\x01';  // final block, stored
  out += static_cast<char>(length & 0xFF);
  out += static_cast<char>(length >> 8);
  out += static_cast<char>(inverse & 0xFF);
  out += static_cast<char>(inverse >> 8);
  out += data;
  return out;
}

void append_le32(std::string& out, std::uint32_t value) {
  for (int i = 0; i < 4; ++i) out += static_cast<char>((value >> (8 * i)) & 0xFF);
}

std::string gzip_stored(std::string_view data) {
  std::string out("\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff", 10);
  out += stored_deflate_block(data);
  append_le32(out, crc32_of(data));
  append_le32(out, static_cast<std::uint32_t>(data.size()));
  return out;
}

std::string zlib_stored(std::string_view data) {
  std::string out("\x78\x01", 2);
  out += stored_deflate_block(data);
  const auto check = adler32_of(data);
  for (int i = 3; i >= 0; --i) out += static_cast<char>((check >> (8 * i)) & 0xFF);
  return out;
}

TEST(ClientRequest, CompressedBodiesAreDecodedAndEncodingsAdvertised) {
  const std::string text = R"({"result":{"points":[{"id":1,"score":0.9}]},"status":"ok"})";
  std::string accept_encoding;
  std::mutex mutex;
  ScriptedServer server([&](ServerConnection& connection) {
    while (auto request = connection.read_request()) {
      {
        std::lock_guard lock(mutex);
        accept_encoding = request->header("accept-encoding");
      }
      const bool gzip = request->target == "/gzip";
      connection.respond(200, gzip ? gzip_stored(text) : zlib_stored(text),
                         {{"Content-Encoding", gzip ? "gzip" : "deflate"}});
    }
  });
  ClientLoop loop;
  for (const char* path : {"/gzip", "/deflate"}) {
    auto result = loop.send(get(server.url(path)));
    ASSERT_TRUE(result) << describe(result);
    EXPECT_EQ(result->body, text) << path;
  }
  std::lock_guard lock(mutex);
  EXPECT_NE(accept_encoding.find("gzip"), std::string::npos) << accept_encoding;
  EXPECT_NE(accept_encoding.find("deflate"), std::string::npos) << accept_encoding;
  EXPECT_NE(accept_encoding.find("br"), std::string::npos) << accept_encoding;
}

TEST(ClientRequest, PinnedAddressConnectsThereAndKeepsTheUrlHost) {
  ScriptedServer server(echo);
  ClientLoop loop;
  const auto authority = "example.invalid:" + std::to_string(server.port());
  ClientRequest request = get("http://" + authority + "/pinned");
  request.pinned_address = "127.0.0.1";
  auto result = loop.send(request);
  auto answer = echoed(result);
  EXPECT_EQ(answer["target"], "/pinned");
  EXPECT_EQ(answer["headers"]["host"], authority);
  ASSERT_TRUE(result);
  EXPECT_EQ(result->effective_url, "http://" + authority + "/pinned");
}

TEST(ClientRequest, PooledConnectionServesOnlyRequestsPinnedToItsAddress) {
  ScriptedServer server(echo);
  ClientLoop loop;
  const auto url = "http://example.invalid:" + std::to_string(server.port()) + "/";
  auto pinned_to = [&](const char* address) {
    ClientRequest request = get(url);
    request.pinned_address = address;
    return loop.send(request);
  };
  ASSERT_TRUE(pinned_to("127.0.0.1"));
  // Nothing listens on 127.0.0.2: only reusing the 127.0.0.1 connection could succeed.
  auto elsewhere = pinned_to("127.0.0.2");
  ASSERT_FALSE(elsewhere) << describe(elsewhere);
  EXPECT_EQ(elsewhere.error().kind, ClientErrorKind::kConnect);
  ASSERT_TRUE(pinned_to("127.0.0.1"));
  EXPECT_EQ(server.connections(), 1u);
}

TEST(ClientRequest, PinnedAddressMustBeAnIpAddress) {
  ClientLoop loop;
  ClientRequest request = get("http://example.invalid/");
  request.pinned_address = "localhost";
  auto result = loop.send(request);
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().kind, ClientErrorKind::kInvalid);
  EXPECT_NE(result.error().message.find("localhost"), std::string::npos);
}

TEST(ClientRequest, RequestsThatCannotBeSentAreInvalid) {
  ScriptedServer server(echo);
  ClientLoop loop;
  auto kind_of = [&](const ClientRequest& request) {
    auto result = loop.send(request);
    EXPECT_FALSE(result) << request.url << " " << describe(result);
    return result ? ClientErrorKind::kOther : result.error().kind;
  };
  EXPECT_EQ(kind_of(get("")), ClientErrorKind::kInvalid);
  EXPECT_EQ(kind_of(get("http://exa mple.com/")), ClientErrorKind::kInvalid);
  EXPECT_EQ(kind_of(get("file:///etc/passwd")), ClientErrorKind::kInvalid);
  EXPECT_EQ(kind_of(get("ftp://127.0.0.1:" + std::to_string(server.port()) + "/")),
            ClientErrorKind::kInvalid);
  ClientRequest bad_method = get(server.url());
  bad_method.method = "GET /evil HTTP/1.1\r\n";
  EXPECT_EQ(kind_of(bad_method), ClientErrorKind::kInvalid);
  ClientRequest injected = get(server.url());
  injected.headers = {{"X-Note", "a\r\nX-Injected: 1"}};
  EXPECT_EQ(kind_of(injected), ClientErrorKind::kInvalid);
  ClientRequest bad_name = get(server.url());
  bad_name.headers = {{"Bad Name", "v"}};
  EXPECT_EQ(kind_of(bad_name), ClientErrorKind::kInvalid);
  ClientRequest head_with_body = get(server.url());
  head_with_body.method = "HEAD";
  head_with_body.body = "{}";
  EXPECT_EQ(kind_of(head_with_body), ClientErrorKind::kInvalid);
  EXPECT_EQ(server.connections(), 0u) << "nothing invalid reaches the network";
}

TEST(ClientRequest, ProxyEnvironmentIsHonoured) {
  // Set before the client's threads start: curl reads the environment on them.
  ScriptedServer proxy([](ServerConnection& connection) {
    while (auto request = connection.read_request()) {
      connection.respond(200, "via proxy: " + request->target + " host=" + request->header("host"));
    }
  });
  ASSERT_EQ(::setenv("http_proxy", proxy.url("/").c_str(), 1), 0);
  {
    ClientLoop loop;
    auto result = loop.send(get("http://backend.invalid:6333/collections"));
    ASSERT_TRUE(result) << describe(result);
    EXPECT_EQ(result->body,
              "via proxy: http://backend.invalid:6333/collections host=backend.invalid:6333");
  }
  ::unsetenv("http_proxy");
}

TEST(ClientErrorKindNames, AreStable) {
  EXPECT_STREQ(to_string(ClientErrorKind::kConnect), "connect");
  EXPECT_STREQ(to_string(ClientErrorKind::kTimeout), "timeout");
  EXPECT_STREQ(to_string(ClientErrorKind::kTls), "tls");
  EXPECT_STREQ(to_string(ClientErrorKind::kTooLarge), "too_large");
  EXPECT_STREQ(to_string(ClientErrorKind::kReset), "reset");
  EXPECT_STREQ(to_string(ClientErrorKind::kCancelled), "cancelled");
  EXPECT_STREQ(to_string(ClientErrorKind::kInvalid), "invalid");
  EXPECT_STREQ(to_string(ClientErrorKind::kOther), "other");
}

}  // namespace
}  // namespace shield::http

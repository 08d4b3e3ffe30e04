#include "shield/http/router.hpp"

#include <gtest/gtest.h>

#include <boost/beast/http/field.hpp>
#include <nlohmann/json.hpp>

#include "shield/metrics/metrics.hpp"

namespace shield::http {
namespace {

namespace bhttp = boost::beast::http;

class FakeStream final : public ResponseStream {
 public:
  bool write(std::string data) override {
    written.push_back(std::move(data));
    return true;
  }
  void close() override { is_closed = true; }
  [[nodiscard]] bool closed() const override { return is_closed; }
  void on_closed(std::function<void()>) override {}
  std::vector<std::string> written;
  bool is_closed = false;
};

class FakeExchange final : public Exchange {
 public:
  void respond(Response response) override { responses.push_back(std::move(response)); }
  std::shared_ptr<ResponseStream> start_stream(Response head) override {
    heads.push_back(std::move(head));
    return std::make_shared<FakeStream>();
  }
  [[nodiscard]] const std::string& peer() const override { return peer_name; }
  void on_peer_gone(std::function<void()> callback) override {
    peer_gone_callback = std::move(callback);
  }
  std::vector<Response> responses;
  std::vector<Response> heads;
  std::function<void()> peer_gone_callback;
  std::string peer_name = "127.0.0.1:4242";
};

Request request(bhttp::verb method, const std::string& target,
                const std::string& host = "localhost:8765") {
  Request out{method, target, 11};
  out.set(bhttp::field::host, host);
  return out;
}

Response ok(unsigned status = 200) {
  Response response{static_cast<bhttp::status>(status), 11};
  response.body() = "ok";
  return response;
}

// Routes under test record which handler ran.
struct Recorder {
  std::vector<std::string> calls;
  Handler answer(const std::string& name, unsigned status = 200) {
    return [this, name, status](const Request&, const std::shared_ptr<Exchange>& exchange) {
      calls.push_back(name);
      exchange->respond(ok(status));
    };
  }
};

class RouterTest : public ::testing::Test {
 protected:
  RouterTest() : metrics_("test") {}

  Router make_router(const config::ServerConfig& server = {}) {
    return Router(AccessPolicy(server, HostPort{"127.0.0.1", 8765}), &metrics_);
  }

  std::shared_ptr<FakeExchange> route(const Router& router, Request r) {
    auto exchange = std::make_shared<FakeExchange>();
    router(std::move(r), exchange);
    return exchange;
  }

  // The api_requests_total sample for these labels, or -1 when absent.
  double requests(const std::string& endpoint, const std::string& method, unsigned status) {
    const auto text = metrics_.serialize();
    const auto needle = "api_requests_total{endpoint=\"" + endpoint + "\",method=\"" + method +
                        "\",status=\"" + std::to_string(status) + "\"} ";
    const auto at = text.find(needle);
    if (at == std::string::npos) return -1;
    return std::stod(text.substr(at + needle.size()));
  }

  double duration_count(const std::string& endpoint) {
    const auto text = metrics_.serialize();
    const auto needle = "api_duration_seconds_count{endpoint=\"" + endpoint + "\"} ";
    const auto at = text.find(needle);
    if (at == std::string::npos) return -1;
    return std::stod(text.substr(at + needle.size()));
  }

  metrics::Metrics metrics_;
  Recorder recorder_;
};

TEST_F(RouterTest, UnknownPathGets404JsonAndCountsAsOther) {
  auto router = make_router();
  router.add("/mcp", {}, recorder_.answer("mcp"));
  auto exchange = route(router, request(bhttp::verb::get, "/nope?x=1"));
  ASSERT_EQ(exchange->responses.size(), 1U);
  const auto& response = exchange->responses[0];
  EXPECT_EQ(response.result(), bhttp::status::not_found);
  EXPECT_EQ(response[bhttp::field::content_type], "application/json");
  auto body = nlohmann::json::parse(response.body());
  EXPECT_EQ(body["error"]["code"], "not_found");
  EXPECT_EQ(body["error"]["message"], "no route for '/nope'");
  EXPECT_TRUE(recorder_.calls.empty());
  EXPECT_EQ(requests("other", "GET", 404), 1);
  EXPECT_EQ(duration_count("other"), 1);
}

TEST_F(RouterTest, ExactRouteMatchesIgnoringTheQuery) {
  auto router = make_router();
  router.add("/mcp", {}, recorder_.answer("mcp"));
  route(router, request(bhttp::verb::post, "/mcp?session=1"));
  route(router, request(bhttp::verb::post, "/mcpx"));
  route(router, request(bhttp::verb::post, "/mcp/"));
  EXPECT_EQ(recorder_.calls, std::vector<std::string>{"mcp"});
  EXPECT_EQ(requests("/mcp", "POST", 200), 1);
  EXPECT_EQ(requests("other", "POST", 404), 2);
}

TEST_F(RouterTest, PrefixRoutesMatchAndTheLongestWins) {
  auto router = make_router();
  router.add("/jobs/", {}, recorder_.answer("jobs"));
  router.add("/jobs/special/", {}, recorder_.answer("special"));
  router.add("/jobs/special/exact", {}, recorder_.answer("exact"));
  route(router, request(bhttp::verb::get, "/jobs/123"));
  route(router, request(bhttp::verb::get, "/jobs/special/9"));
  route(router, request(bhttp::verb::get, "/jobs/special/exact"));
  route(router, request(bhttp::verb::get, "/jobs"));
  EXPECT_EQ(recorder_.calls, (std::vector<std::string>{"jobs", "special", "exact"}));
  EXPECT_EQ(requests("/jobs/", "GET", 200), 1);
  EXPECT_EQ(requests("/jobs/special/", "GET", 200), 1);
}

TEST_F(RouterTest, HostCheckRunsOnlyWhereTheRouteAsks) {
  auto router = make_router();
  router.add("/mcp", {}, recorder_.answer("mcp"));
  router.add("/healthz", {.check_host_origin = false, .require_auth = false},
             recorder_.answer("health"));
  auto denied = route(router, request(bhttp::verb::post, "/mcp", "evil.example"));
  ASSERT_EQ(denied->responses.size(), 1U);
  EXPECT_EQ(denied->responses[0].result(), bhttp::status::forbidden);
  EXPECT_NE(denied->responses[0].body().find("invalid Host header 'evil.example'"),
            std::string::npos);
  route(router, request(bhttp::verb::get, "/healthz", "evil.example"));
  EXPECT_EQ(recorder_.calls, std::vector<std::string>{"health"});
  EXPECT_EQ(requests("/mcp", "POST", 403), 1);
}

TEST_F(RouterTest, OriginCheckRejectsForeignBrowsers) {
  auto router = make_router();
  router.add("/mcp", {}, recorder_.answer("mcp"));
  auto r = request(bhttp::verb::post, "/mcp");
  r.set(bhttp::field::origin, "https://evil.example");
  auto denied = route(router, std::move(r));
  ASSERT_EQ(denied->responses.size(), 1U);
  EXPECT_EQ(denied->responses[0].result(), bhttp::status::forbidden);
  EXPECT_TRUE(recorder_.calls.empty());
}

TEST_F(RouterTest, AuthRunsOnlyWhereTheRouteAsks) {
  config::ServerConfig server;
  server.auth_tokens = {config::Secret{"s3cret"}};
  auto router = make_router(server);
  router.add("/mcp", {}, recorder_.answer("mcp"));
  router.add("/healthz", {.check_host_origin = false, .require_auth = false},
             recorder_.answer("health"));

  auto denied = route(router, request(bhttp::verb::post, "/mcp"));
  ASSERT_EQ(denied->responses.size(), 1U);
  EXPECT_EQ(denied->responses[0].result(), bhttp::status::unauthorized);
  EXPECT_EQ(denied->responses[0][bhttp::field::www_authenticate], R"(Bearer realm="shield-mcp")");

  auto authorized = request(bhttp::verb::post, "/mcp");
  authorized.set(bhttp::field::authorization, "Bearer s3cret");
  route(router, std::move(authorized));
  route(router, request(bhttp::verb::get, "/healthz"));
  EXPECT_EQ(recorder_.calls, (std::vector<std::string>{"mcp", "health"}));
  EXPECT_EQ(requests("/mcp", "POST", 401), 1);
  EXPECT_EQ(requests("/mcp", "POST", 200), 1);
}

TEST_F(RouterTest, PrincipalHandlersLearnWhoCalled) {
  config::ServerConfig server;
  server.auth_tokens = {config::Secret{"first"}, config::Secret{"second"}};
  auto router = make_router(server);
  std::vector<std::string> principals;
  PrincipalHandler remember = [&](const Request&, const std::shared_ptr<Exchange>& exchange,
                                  const std::string& principal) {
    principals.push_back(principal);
    exchange->respond(ok(200));
  };
  router.add("/jobs/", {}, remember);
  router.add("/open", {.check_host_origin = true, .require_auth = false}, remember);

  auto second = request(bhttp::verb::get, "/jobs/job_1");
  second.set(bhttp::field::authorization, "Bearer second");
  route(router, std::move(second));
  auto first = request(bhttp::verb::get, "/jobs/job_1");
  first.set(bhttp::field::authorization, "Bearer first");
  route(router, std::move(first));
  route(router, request(bhttp::verb::get, "/open"));
  auto denied = route(router, request(bhttp::verb::get, "/jobs/job_1"));

  EXPECT_EQ(principals, (std::vector<std::string>{"token-2", "token-1", "anonymous"}));
  ASSERT_EQ(denied->responses.size(), 1U);
  EXPECT_EQ(denied->responses[0].result(), bhttp::status::unauthorized);
}

TEST_F(RouterTest, HostIsCheckedBeforeAuth) {
  config::ServerConfig server;
  server.auth_tokens = {config::Secret{"s3cret"}};
  auto router = make_router(server);
  router.add("/mcp", {}, recorder_.answer("mcp"));
  auto denied = route(router, request(bhttp::verb::post, "/mcp", "evil.example"));
  ASSERT_EQ(denied->responses.size(), 1U);
  EXPECT_EQ(denied->responses[0].result(), bhttp::status::forbidden);
}

TEST_F(RouterTest, MetricsRecordTheStatusTheHandlerAnswers) {
  auto router = make_router();
  router.add("/mcp", {}, recorder_.answer("mcp", 202));
  route(router, request(bhttp::verb::post, "/mcp"));
  route(router, request(bhttp::verb::post, "/mcp"));
  EXPECT_EQ(requests("/mcp", "POST", 202), 2);
  EXPECT_EQ(duration_count("/mcp"), 2);
}

TEST_F(RouterTest, StreamsAreRecordedAtTheirHead) {
  auto router = make_router();
  std::shared_ptr<ResponseStream> stream;
  router.add("/mcp", {}, [&](const Request&, const std::shared_ptr<Exchange>& exchange) {
    stream = exchange->start_stream(ok(200));
  });
  auto exchange = route(router, request(bhttp::verb::get, "/mcp"));
  ASSERT_TRUE(stream);
  EXPECT_EQ(exchange->heads.size(), 1U);
  EXPECT_FALSE(stream->closed());
  EXPECT_EQ(requests("/mcp", "GET", 200), 1);
}

TEST_F(RouterTest, AnUnansweredExchangeCountsAs500) {
  auto router = make_router();
  router.add("/mcp", {}, [](const Request&, const std::shared_ptr<Exchange>&) {});
  route(router, request(bhttp::verb::post, "/mcp"));
  EXPECT_EQ(requests("/mcp", "POST", 500), 1);
}

TEST_F(RouterTest, OnlyTheFirstAnswerIsCounted) {
  auto router = make_router();
  router.add("/mcp", {}, [](const Request&, const std::shared_ptr<Exchange>& exchange) {
    exchange->respond(ok(200));
    exchange->respond(ok(500));
  });
  route(router, request(bhttp::verb::post, "/mcp"));
  EXPECT_EQ(requests("/mcp", "POST", 200), 1);
  EXPECT_EQ(requests("/mcp", "POST", 500), -1);
}

TEST_F(RouterTest, UnknownMethodsShareOneLabel) {
  auto router = make_router();
  router.add("/mcp", {}, recorder_.answer("mcp", 405));
  Request odd{bhttp::verb::unknown, "/mcp", 11};
  odd.method_string("BREW");
  odd.set(bhttp::field::host, "localhost");
  route(router, std::move(odd));
  EXPECT_EQ(requests("/mcp", "other", 405), 1);
  EXPECT_EQ(metrics_.serialize().find("BREW"), std::string::npos);
}

TEST_F(RouterTest, TheWrappedExchangeForwardsPeerAndPeerGone) {
  auto router = make_router();
  std::string seen_peer;
  bool gone = false;
  router.add("/mcp", {}, [&](const Request&, const std::shared_ptr<Exchange>& exchange) {
    seen_peer = exchange->peer();
    exchange->on_peer_gone([&] { gone = true; });
    exchange->respond(ok());
  });
  auto exchange = route(router, request(bhttp::verb::post, "/mcp"));
  EXPECT_EQ(seen_peer, "127.0.0.1:4242");
  ASSERT_TRUE(exchange->peer_gone_callback);
  exchange->peer_gone_callback();
  EXPECT_TRUE(gone);
}

TEST(RouterWithoutMetricsTest, HandlersGetTheServersExchangeItself) {
  Router router(AccessPolicy(config::ServerConfig{}, HostPort{"127.0.0.1", 8765}), nullptr);
  std::shared_ptr<Exchange> seen;
  router.add("/metrics", {.check_host_origin = false, .require_auth = false},
             [&](const Request&, const std::shared_ptr<Exchange>& exchange) { seen = exchange; });
  auto exchange = std::make_shared<FakeExchange>();
  router(request(bhttp::verb::get, "/metrics"), exchange);
  EXPECT_EQ(seen, exchange);
  auto missing = std::make_shared<FakeExchange>();
  router(request(bhttp::verb::get, "/other"), missing);
  ASSERT_EQ(missing->responses.size(), 1U);
  EXPECT_EQ(missing->responses[0].result(), bhttp::status::not_found);
}

}  // namespace
}  // namespace shield::http

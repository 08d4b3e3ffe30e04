// Backend::call against a scripted backend on 127.0.0.1: what goes on the wire, how each
// kind of answer is classified, what the breaker, bulkhead and retries do about it, and
// what the metrics and logs show after every step. Breaker time is a ManualClock.
#include <algorithm>
#include <map>
#include <random>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "shield/backend/backend.hpp"
#include "shield/metrics/metrics.hpp"
#include "unit/backend/backend_test_harness.hpp"
#include "unit/resilience/metric_reader.hpp"

namespace shield::backend {
namespace {

using resilience::BreakerState;
using resilience::test_support::read_metric;
using ::testing::AllOf;
using testing::CallerLoop;
using ::testing::HasSubstr;
using testing::LogCapture;
using ::testing::Not;
using testing::Reply;
using testing::ScriptedBackend;
using testing::TimedResult;
using namespace std::chrono_literals;

constexpr const char* kSecret = "qdrant-secret-Zq81";

class BackendCall : public ::testing::Test {
 protected:
  BackendSettings qdrant_settings() {
    BackendSettings s;
    s.name = "qdrant";
    s.display_name = "Qdrant";
    s.base_url = server_.url();
    s.auth = AuthStyle::kHeader;
    s.auth_header = "api-key";
    s.secret = kSecret;
    s.connect_timeout = 1000ms;
    s.timeout = 5000ms;
    // Retry waits are real timer waits: keep them well under a millisecond or two.
    s.retry.base_delay = 1ms;
    s.retry.max_delay = 2ms;
    return s;
  }

  Backend& make(BackendSettings settings) {
    backend_ = std::make_unique<Backend>(std::move(settings), loop_.client(), metrics_, clock_);
    return *backend_;
  }
  Backend& make() { return make(qdrant_settings()); }

  double requests(const std::string& outcome) {
    return read_metric(metrics_.registry(), "backend_requests_total",
                       {{"backend", "qdrant"}, {"outcome", outcome}})
        .value_or(-1);
  }
  double state_gauge() {
    return read_metric(metrics_.registry(), "circuit_breaker_state", {{"backend", "qdrant"}})
        .value_or(-1);
  }
  double transitions(const std::string& to) {
    return read_metric(metrics_.registry(), "circuit_breaker_transitions_total",
                       {{"backend", "qdrant"}, {"to", to}})
        .value_or(-1);
  }
  double rejected_calls() {
    return read_metric(metrics_.registry(), "circuit_breaker_rejected_calls_total",
                       {{"backend", "qdrant"}})
        .value_or(-1);
  }
  double durations() {
    return read_metric(metrics_.registry(), "backend_request_duration_seconds",
                       {{"backend", "qdrant"}})
        .value_or(-1);
  }

  static BackendRequest get(std::string path, bool idempotent = true) {
    BackendRequest request;
    request.method = "GET";
    request.path = std::move(path);
    request.idempotent = idempotent;
    return request;
  }
  static BackendRequest post(std::string path, Json body, bool idempotent = false) {
    BackendRequest request;
    request.method = "POST";
    request.path = std::move(path);
    request.body = std::move(body);
    request.idempotent = idempotent;
    return request;
  }

  BackendResult call(BackendRequest request, CancellationToken cancel = {}) {
    return loop_.call(*backend_, std::move(request), std::move(cancel)).result;
  }

  metrics::Metrics metrics_{"test"};
  ManualClock clock_;
  ScriptedBackend server_;
  CallerLoop loop_;
  std::unique_ptr<Backend> backend_;  // last: destroyed before the loop and the server
};

TEST_F(BackendCall, SuccessSendsJsonWithTheKeyAndParsesTheAnswer) {
  LogCapture logs;
  make();
  server_.always(Reply::json(200, R"({"result":{"points":[{"id":7,"score":0.9}]},"status":"ok"})"));
  const Json body = {{"query", {0.1, 0.2}}, {"limit", 3}};
  const auto result = call(post("/collections/docs/points/query", body, true));
  ASSERT_TRUE(result.has_value()) << testing::describe(result);
  EXPECT_EQ(result->status, 200u);
  EXPECT_EQ(result->body["result"]["points"][0]["id"], 7);
  EXPECT_EQ(result->headers.at("content-type"), "application/json");

  ASSERT_EQ(server_.request_count(), 1u);
  const auto seen = server_.requests().front();
  EXPECT_EQ(seen.method, "POST");
  EXPECT_EQ(seen.target, "/collections/docs/points/query");
  EXPECT_EQ(seen.header("api-key"), kSecret);
  EXPECT_EQ(seen.header("authorization"), "");
  EXPECT_EQ(seen.header("content-type"), "application/json");
  EXPECT_EQ(seen.header("accept"), "application/json");
  EXPECT_EQ(Json::parse(seen.body), body);

  EXPECT_EQ(requests("success"), 1);
  EXPECT_EQ(requests("server_error"), 0);
  EXPECT_EQ(durations(), 1);
  EXPECT_EQ(state_gauge(), 0);
  EXPECT_EQ(backend_->in_flight(), 0u);

  const std::string text = logs.text();
  EXPECT_THAT(text,
              AllOf(HasSubstr("backend=qdrant method=POST path=/collections/docs/points/query "
                              "outcome=success status=200 attempts=1"),
                    HasSubstr("debug [backend]")));
  EXPECT_THAT(text, Not(HasSubstr(kSecret)));
}

TEST_F(BackendCall, BearerAuthCallerHeadersPathPrefixAndNonJsonBodies) {
  BackendSettings settings = qdrant_settings();
  settings.name = "orchestrator";
  settings.display_name = "Orchestrator";
  settings.base_url = server_.url() + "/api";
  settings.auth = AuthStyle::kBearer;
  settings.auth_header.clear();
  settings.secret = "orch-token";
  make(settings);
  server_.always(Reply::json(202, "accepted, not JSON"));
  BackendRequest request = get("/jobs/42");
  request.headers.emplace_back("Idempotency-Key", "abc");
  const auto result = call(request);
  ASSERT_TRUE(result.has_value()) << testing::describe(result);
  EXPECT_EQ(result->status, 202u);
  EXPECT_EQ(result->body, Json("accepted, not JSON"));
  const auto seen = server_.requests().front();
  EXPECT_EQ(seen.target, "/api/jobs/42");
  EXPECT_EQ(seen.header("authorization"), "Bearer orch-token");
  EXPECT_EQ(seen.header("api-key"), "");
  EXPECT_EQ(seen.header("idempotency-key"), "abc");
  EXPECT_EQ(seen.header("content-type"), "");  // no body, no content type
  EXPECT_EQ(seen.body, "");
}

TEST_F(BackendCall, NoKeyConfiguredSendsNoCredentials) {
  BackendSettings settings = qdrant_settings();
  settings.auth = AuthStyle::kNone;
  settings.secret.clear();
  make(settings);
  server_.always(Reply::json(200, "{}"));
  ASSERT_TRUE(call(get("/healthz")).has_value());
  const auto seen = server_.requests().front();
  EXPECT_EQ(seen.header("api-key"), "");
  EXPECT_EQ(seen.header("authorization"), "");
}

TEST_F(BackendCall, FiveServerErrorsOpenTheBreakerAndTheSixthCallFailsFast) {
  LogCapture logs;
  make();
  server_.always(Reply::json(503, "upstream connect error\n<html>"));
  for (int i = 1; i <= 5; ++i) {
    const auto result = call(post("/collections/docs/points", Json::object()));
    ASSERT_FALSE(result.has_value());
    EXPECT_EQ(result.error().code, BackendErrorCode::kUnavailable);
    EXPECT_EQ(result.error().http_status, 503u);
    EXPECT_EQ(result.error().message, "Qdrant at " + server_.url() +
                                          " is unavailable: HTTP 503: upstream connect error "
                                          "<html>");
    EXPECT_EQ(requests("server_error"), i);
    EXPECT_EQ(state_gauge(), i < 5 ? 0 : 1) << "after call " << i;
    EXPECT_EQ(backend_->snapshot().consecutive_failures, static_cast<std::uint32_t>(i));
    // The call that opened the breaker already says when it will be tried again.
    if (i < 5) {
      EXPECT_FALSE(result.error().retry_after_s.has_value());
    } else {
      EXPECT_EQ(result.error().retry_after_s, 60);
    }
  }
  EXPECT_EQ(transitions("open"), 1);
  EXPECT_EQ(server_.request_count(), 5u);

  clock_.advance(18s);
  const TimedResult sixth = loop_.call(*backend_, post("/collections/docs/points", Json::object()));
  ASSERT_FALSE(sixth.result.has_value());
  const BackendError& error = sixth.result.error();
  EXPECT_LT(sixth.took, 1ms);
  EXPECT_EQ(error.code, BackendErrorCode::kUnavailable);
  EXPECT_EQ(error.backend, "qdrant");
  EXPECT_EQ(error.base_url, server_.url());
  EXPECT_EQ(error.message, "Qdrant at " + server_.url() +
                               " is unavailable (5 consecutive failures, last: HTTP 503: "
                               "upstream connect error <html>); retrying in 42 s");
  EXPECT_EQ(error.retry_after_s, 42);
  EXPECT_EQ(error.http_status, 0u);
  EXPECT_EQ(server_.request_count(), 5u) << "an open breaker must not touch the network";
  EXPECT_EQ(requests("circuit_open"), 1);
  EXPECT_EQ(rejected_calls(), 1);
  EXPECT_EQ(durations(), 5) << "refusals stay out of the latency histogram";

  const Json ready = backend_->readiness();
  EXPECT_EQ(ready["url"], server_.url());
  EXPECT_EQ(ready["state"], "open");
  EXPECT_EQ(ready["retry_after_s"], 42);
  EXPECT_EQ(ready["consecutive_failures"], 5);
  EXPECT_EQ(ready["last_failure"], "HTTP 503: upstream connect error <html>");
  EXPECT_EQ(ready["open_cause"],
            "5 consecutive failures, last: HTTP 503: upstream connect error <html>");
  EXPECT_EQ(ready["opened_at_unix_ms"], clock_.unix_millis() - 18'000);
  EXPECT_EQ(ready["in_flight"], 0);
  EXPECT_EQ(ready["max_in_flight"], 64);
  EXPECT_FALSE(ready.contains("window_calls"));
  EXPECT_THAT(ready.dump(), Not(HasSubstr(kSecret)));

  const Json shown = error.to_json();
  EXPECT_EQ(shown["code"], "backend_unavailable");
  EXPECT_EQ(shown["backend"], "qdrant");
  EXPECT_EQ(shown["retry_after_s"], 42);
  EXPECT_EQ(shown["detail"],
            "5 consecutive failures, last: HTTP 503: upstream connect error <html>");
  EXPECT_FALSE(shown.contains("http_status"));

  const std::string text = logs.text();
  EXPECT_THAT(text,
              HasSubstr("info [backend] backend=qdrant method=POST path=/collections/docs/points "
                        "outcome=server_error status=503 attempts=1"));
  EXPECT_THAT(text, HasSubstr("outcome=circuit_open attempts=0"));
  EXPECT_THAT(text, Not(HasSubstr("info [backend] backend=qdrant method=POST "
                                  "path=/collections/docs/points outcome=circuit_open")));
  EXPECT_THAT(text, Not(HasSubstr(kSecret)));
  EXPECT_THAT(error.message + error.detail + shown.dump(), Not(HasSubstr(kSecret)));
}

TEST_F(BackendCall, HalfOpenProbeSuccessClosesTheBreaker) {
  make();
  server_.always(Reply::json(500, R"({"status":{"error":"disk full"}})"));
  for (int i = 0; i < 5; ++i) ASSERT_FALSE(call(get("/collections", false)).has_value());
  EXPECT_EQ(state_gauge(), 1);

  clock_.advance(60s);
  EXPECT_EQ(backend_->snapshot().state, BreakerState::kHalfOpen);
  EXPECT_EQ(state_gauge(), 2);
  EXPECT_EQ(transitions("half_open"), 1);

  server_.always(Reply::json(200, R"({"result":{"collections":[]}})"));
  const auto probe = call(get("/collections"));
  ASSERT_TRUE(probe.has_value()) << testing::describe(probe);
  EXPECT_EQ(state_gauge(), 0);
  EXPECT_EQ(transitions("closed"), 1);
  EXPECT_EQ(backend_->snapshot().consecutive_failures, 0u);
  EXPECT_EQ(server_.request_count(), 6u);
  const Json ready = backend_->readiness();
  EXPECT_EQ(ready["state"], "closed");
  EXPECT_TRUE(ready["retry_after_s"].is_null());
  EXPECT_TRUE(ready["open_cause"].is_null());
  EXPECT_EQ(ready["last_failure"], "HTTP 500: disk full");
  // Closed again: the next call goes through too.
  EXPECT_TRUE(call(get("/collections")).has_value());
  EXPECT_EQ(requests("success"), 2);
}

TEST_F(BackendCall, HalfOpenProbeFailureReopensWithAFreshTimer) {
  make();
  server_.always(Reply::json(503, ""));
  for (int i = 0; i < 5; ++i) ASSERT_FALSE(call(get("/x", false)).has_value());
  clock_.advance(60s);
  const auto probe = call(get("/x"));
  ASSERT_FALSE(probe.has_value());
  EXPECT_EQ(probe.error().message, "Qdrant at " + server_.url() + " is unavailable: HTTP 503");
  EXPECT_EQ(probe.error().retry_after_s, 60);
  EXPECT_EQ(state_gauge(), 1);
  EXPECT_EQ(transitions("open"), 2);
  EXPECT_EQ(server_.request_count(), 6u) << "the probe is not retried while half-open";

  const auto refused = call(get("/x"));
  ASSERT_FALSE(refused.has_value());
  EXPECT_THAT(refused.error().message,
              AllOf(HasSubstr("is unavailable (probe call failed: 6 consecutive failures, last: "
                              "HTTP 503)"),
                    HasSubstr("retrying in 60 s")));
  EXPECT_EQ(server_.request_count(), 6u);
}

TEST_F(BackendCall, FailureRateModeOpensOnTheRateAndShowsItsWindow) {
  BackendSettings settings = qdrant_settings();
  settings.breaker.mode = resilience::BreakerMode::kFailureRate;
  settings.breaker.minimum_calls = 4;
  settings.breaker.failure_rate_threshold = 50;
  make(settings);
  server_.script([](const testing::SeenRequest&, std::size_t index) {
    return index % 2 == 0 ? Reply::json(200, "{}") : Reply::json(503, "");
  });
  for (int i = 0; i < 3; ++i) (void)call(get("/x", false));
  Json ready = backend_->readiness();
  EXPECT_EQ(ready["state"], "closed");
  EXPECT_EQ(ready["window_calls"], 3);
  EXPECT_EQ(ready["window_failures"], 1);

  ASSERT_FALSE(call(get("/x", false)).has_value());
  EXPECT_EQ(state_gauge(), 1);
  const auto refused = call(get("/x"));
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().message, "Qdrant at " + server_.url() +
                                         " is unavailable (2 of 4 calls failed within 60 s "
                                         "(50%), last: HTTP 503); retrying in 60 s");
  EXPECT_EQ(server_.request_count(), 4u);
}

TEST_F(BackendCall, ClientErrorsDoNotCountAndCarryTheBackendsAnswer) {
  make();
  server_.always(Reply::json(
      400,
      R"({"status":{"error":"Wrong input: Vector dimension error: expected dim: 768, got 3"},"time":0.001})"));
  for (int i = 1; i <= 7; ++i) {
    const auto result = call(post("/collections/docs/points/query", {{"query", {1, 2, 3}}}, true));
    ASSERT_FALSE(result.has_value());
    const BackendError& error = result.error();
    EXPECT_EQ(error.code, BackendErrorCode::kRejected);
    EXPECT_EQ(error.http_status, 400u);
    EXPECT_EQ(error.message,
              "Qdrant rejected the request: HTTP 400: Wrong input: Vector dimension error: "
              "expected dim: 768, got 3");
    EXPECT_EQ(error.body["status"]["error"],
              "Wrong input: Vector dimension error: expected dim: 768, got 3");
    EXPECT_FALSE(error.retry_after_s.has_value());
    EXPECT_EQ(error.to_json()["code"], "backend_rejected");
    EXPECT_EQ(error.to_json()["http_status"], 400);
    EXPECT_EQ(requests("client_error"), i);
  }
  EXPECT_EQ(server_.request_count(), 7u) << "a 4xx is never retried";
  EXPECT_EQ(state_gauge(), 0);
  EXPECT_EQ(backend_->snapshot().consecutive_failures, 0u);
  EXPECT_EQ(transitions("open"), 0);

  // A 404 too, so callers can special-case a missing collection.
  server_.always(
      Reply::json(404, R"({"status":{"error":"Not found: Collection `docs` doesn't exist!"}})"));
  const auto missing = call(get("/collections/docs"));
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().http_status, 404u);
  EXPECT_EQ(missing.error().detail, "Not found: Collection `docs` doesn't exist!");
}

TEST_F(BackendCall, ErrorTextIsFoundInTheCommonErrorShapes) {
  make();
  const std::vector<std::pair<std::string, std::string>> cases = {
      {R"({"error":"model \"nomic\" not found, try pulling it first"})",
       "model \"nomic\" not found, try pulling it first"},
      {R"({"error":{"message":"This model's maximum context length is 8192 tokens","type":"invalid_request_error"}})",
       "This model's maximum context length is 8192 tokens"},
      {R"({"detail":[{"loc":["body","mode"],"msg":"Input should be 'local' or 'global'","type":"literal_error"}]})",
       "body.mode: Input should be 'local' or 'global'"},
      {R"({"detail":"Invalid API Key"})", "Invalid API Key"},
      {"plain\ttext\n\n answer", "plain text answer"},
      {"", ""},
  };
  for (const auto& [body, text] : cases) {
    server_.always(Reply::json(422, body));
    const auto result = call(get("/q"));
    ASSERT_FALSE(result.has_value());
    EXPECT_EQ(result.error().detail, text) << body;
    EXPECT_EQ(result.error().message, text.empty()
                                          ? std::string("Qdrant rejected the request: HTTP 422")
                                          : "Qdrant rejected the request: HTTP 422: " + text);
  }
  // Long bodies are cut, on a character boundary, and marked.
  server_.always(
      Reply::json(400, std::string(290, 'a') + "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"));
  const auto cut = call(get("/q"));
  ASSERT_FALSE(cut.has_value());
  EXPECT_EQ(cut.error().detail,
            std::string(290, 'a') + "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9...");
}

TEST_F(BackendCall, RedirectIsRejectedWithAHintAtTheUrl) {
  make();
  Reply moved = Reply::json(301, "");
  moved.headers.emplace_back("Location", "https://qdrant.example/");
  server_.always(moved);
  const auto result = call(get("/collections"));
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().code, BackendErrorCode::kRejected);
  EXPECT_EQ(result.error().message, "Qdrant at " + server_.url() +
                                        " answered HTTP 301 (redirect to https://qdrant.example/); "
                                        "check qdrant.url");
  EXPECT_EQ(backend_->snapshot().consecutive_failures, 0u);
  EXPECT_EQ(server_.request_count(), 1u);
}

TEST_F(BackendCall, TooManyRequestsCountsAndHonoursRetryAfter) {
  BackendSettings settings = qdrant_settings();
  settings.retry.max_attempts = 1;
  make(settings);
  Reply slow_down = Reply::json(429, R"({"status":{"error":"Too many requests"}})");
  slow_down.headers.emplace_back("Retry-After", "7");
  server_.always(slow_down);
  const auto result = call(get("/collections"));
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().code, BackendErrorCode::kUnavailable);
  EXPECT_EQ(result.error().http_status, 429u);
  EXPECT_EQ(result.error().retry_after_s, 7);
  EXPECT_EQ(result.error().message,
            "Qdrant at " + server_.url() + " is rate-limiting calls: HTTP 429: Too many requests");
  EXPECT_EQ(requests("server_error"), 1);
  EXPECT_EQ(backend_->snapshot().consecutive_failures, 1u);
  for (int i = 0; i < 4; ++i) ASSERT_FALSE(call(get("/collections")).has_value());
  EXPECT_EQ(state_gauge(), 1);
}

TEST_F(BackendCall, RetryAfterSetsTheWaitBeforeTheRetry) {
  BackendSettings settings = qdrant_settings();
  settings.retry.max_delay = 3ms;  // the cap applies to Retry-After too: 1 s becomes 3 ms
  make(settings);
  server_.script([](const testing::SeenRequest&, std::size_t index) {
    if (index > 0) return Reply::json(200, "{}");
    Reply busy = Reply::json(503, "");
    busy.headers.emplace_back("Retry-After", "1");
    return busy;
  });
  const TimedResult timed = loop_.call(*backend_, get("/collections"));
  ASSERT_TRUE(timed.result.has_value()) << testing::describe(timed.result);
  EXPECT_GE(timed.took, 3ms);
  EXPECT_LT(timed.took, 900ms);
  EXPECT_EQ(server_.request_count(), 2u);
}

TEST_F(BackendCall, TimeoutIsItsOwnCodeAndCounts) {
  BackendSettings settings = qdrant_settings();
  settings.timeout = 150ms;
  make(settings);
  server_.always(Reply::hung());
  const auto result = call(get("/collections"));
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().code, BackendErrorCode::kTimeout);
  EXPECT_EQ(result.error().message, "Qdrant at " + server_.url() + " did not answer within 150 ms");
  EXPECT_EQ(result.error().to_json()["code"], "backend_timeout");
  EXPECT_EQ(requests("timeout"), 1);
  EXPECT_EQ(server_.request_count(), 1u) << "a timed-out attempt is not retried";
  EXPECT_EQ(backend_->snapshot().last_failure, "timed out after 150 ms");
  EXPECT_EQ(backend_->snapshot().consecutive_failures, 1u);

  // A per-call timeout overrides the backend's.
  BackendRequest quick = get("/collections");
  quick.timeout = 60ms;
  const auto overridden = call(quick);
  ASSERT_FALSE(overridden.has_value());
  EXPECT_EQ(overridden.error().message,
            "Qdrant at " + server_.url() + " did not answer within 60 ms");
  EXPECT_EQ(backend_->in_flight(), 0u);
}

TEST_F(BackendCall, ConnectionRefusedIsUnavailableAndRetriedWhenIdempotent) {
  BackendSettings settings = qdrant_settings();
  settings.base_url = "http://127.0.0.1:" + std::to_string(testing::closed_port());
  make(settings);
  const auto result = call(get("/collections"));
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().code, BackendErrorCode::kUnavailable);
  EXPECT_EQ(result.error().message,
            "Qdrant at " + settings.base_url + " is unavailable: connection refused");
  EXPECT_THAT(result.error().detail, HasSubstr("refused"));
  EXPECT_EQ(requests("transport_error"), 3) << "three attempts";
  EXPECT_EQ(backend_->snapshot().consecutive_failures, 3u);
  EXPECT_EQ(backend_->snapshot().last_failure, "connection refused");

  // Not idempotent: one attempt only.
  ASSERT_FALSE(call(post("/collections/docs/points", Json::object())).has_value());
  EXPECT_EQ(requests("transport_error"), 4);
  // The fifth failure opens the breaker, whose message then names the cause.
  ASSERT_FALSE(call(post("/collections/docs/points", Json::object())).has_value());
  const auto refused = call(get("/collections"));
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().message, "Qdrant at " + settings.base_url +
                                         " is unavailable (5 consecutive failures, last: "
                                         "connection refused); retrying in 60 s");
}

TEST_F(BackendCall, IdempotentCallSucceedsOnItsSecondAttempt) {
  make();
  server_.script([](const testing::SeenRequest&, std::size_t index) {
    return index == 0 ? Reply::json(503, "warming up") : Reply::json(200, R"({"result":true})");
  });
  const auto result = call(get("/collections/docs/exists"));
  ASSERT_TRUE(result.has_value()) << testing::describe(result);
  EXPECT_EQ(result->body["result"], true);
  EXPECT_EQ(server_.request_count(), 2u);
  EXPECT_EQ(requests("server_error"), 1);
  EXPECT_EQ(requests("success"), 1);
  EXPECT_EQ(backend_->snapshot().consecutive_failures, 0u);
  const auto seen = server_.requests();
  EXPECT_EQ(seen[1].target, seen[0].target);
  EXPECT_EQ(seen[1].header("api-key"), kSecret);
}

TEST_F(BackendCall, NonIdempotentCallIsNotRetried) {
  make();
  server_.script([](const testing::SeenRequest&, std::size_t index) {
    return index == 0 ? Reply::json(503, "") : Reply::json(200, "{}");
  });
  const auto result = call(post("/ingest-async", {{"text", "x"}}));
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().http_status, 503u);
  EXPECT_EQ(server_.request_count(), 1u);
}

TEST_F(BackendCall, RetriesStopAtMaxAttemptsAndResendTheSameBody) {
  make();
  server_.always(Reply::json(502, "bad gateway"));
  const Json body = {{"points", {{{"id", "a"}, {"vector", {1.0, 0.0}}}}}};
  const auto result = call(post("/collections/docs/points", body, true));
  ASSERT_FALSE(result.has_value());
  ASSERT_EQ(server_.request_count(), 3u);
  for (const auto& seen : server_.requests()) EXPECT_EQ(Json::parse(seen.body), body);
  EXPECT_EQ(requests("server_error"), 3);
}

TEST_F(BackendCall, AnswerOverTheSizeLimitIsRefusedWithoutCountingAgainstTheBackend) {
  BackendSettings settings = qdrant_settings();
  settings.max_response_bytes = 1024;
  make(settings);
  server_.always(Reply::json(200, "\"" + std::string(5000, 'x') + "\""));
  const auto result = call(get("/collections"));
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().code, BackendErrorCode::kUnavailable);
  EXPECT_EQ(result.error().message,
            "Qdrant at " + server_.url() +
                " sent an answer larger than 1024 bytes (the qdrant.max_response_bytes limit)");
  EXPECT_EQ(backend_->snapshot().consecutive_failures, 0u);
  EXPECT_EQ(requests("transport_error"), 1);
  EXPECT_EQ(server_.request_count(), 1u);
}

TEST_F(BackendCall, BulkheadOverflowIsRefusedAtOnceWhileSlotsAreHeld) {
  BackendSettings settings = qdrant_settings();
  settings.max_in_flight = 2;
  make(settings);
  server_.always(Reply::hung());
  CancellationSource first;
  CancellationSource second;
  auto hung_a = loop_.start(*backend_, get("/slow"), first.token());
  auto hung_b = loop_.start(*backend_, get("/slow"), second.token());
  ASSERT_TRUE(server_.wait_for_requests(2));
  EXPECT_EQ(backend_->in_flight(), 2u);

  const TimedResult busy = loop_.call(*backend_, get("/slow"));
  ASSERT_FALSE(busy.result.has_value());
  EXPECT_LT(busy.took, 1ms);
  EXPECT_EQ(busy.result.error().code, BackendErrorCode::kBusy);
  EXPECT_EQ(busy.result.error().message,
            "Qdrant is busy: 2 calls in flight (limit 2); retry shortly");
  EXPECT_EQ(busy.result.error().retry_after_s, 1);
  EXPECT_EQ(busy.result.error().to_json()["code"], "backend_busy");
  EXPECT_EQ(requests("busy"), 1);
  EXPECT_EQ(server_.request_count(), 2u);

  // Cancelling the hung calls ends them at once and gives their slots back.
  first.cancel("client went away");
  const TimedResult a = CallerLoop::wait(hung_a);
  ASSERT_FALSE(a.result.has_value());
  EXPECT_EQ(a.result.error().code, BackendErrorCode::kCancelled);
  EXPECT_EQ(a.result.error().to_json()["code"], "cancelled");
  EXPECT_EQ(backend_->in_flight(), 1u);
  second.cancel();
  ASSERT_FALSE(CallerLoop::wait(hung_b).result.has_value());
  EXPECT_EQ(backend_->in_flight(), 0u);
  EXPECT_EQ(requests("cancelled"), 2);
  EXPECT_EQ(backend_->snapshot().consecutive_failures, 0u) << "a cancellation is not a failure";

  server_.always(Reply::json(200, "{}"));
  EXPECT_TRUE(call(get("/fast")).has_value());
}

TEST_F(BackendCall, CancellationDuringTheRetryWaitEndsTheCallPromptly) {
  BackendSettings settings = qdrant_settings();
  settings.retry.max_delay = 30s;
  make(settings);
  Reply later = Reply::json(503, "");
  later.headers.emplace_back("Retry-After", "30");
  server_.always(later);
  CancellationSource cancel;
  auto pending = loop_.start(*backend_, get("/collections"), cancel.token());
  ASSERT_TRUE(server_.wait_for_requests(1));
  cancel.cancel();
  const TimedResult result = CallerLoop::wait(pending, 5s);
  ASSERT_FALSE(result.result.has_value());
  EXPECT_EQ(result.result.error().code, BackendErrorCode::kCancelled);
  EXPECT_LT(result.took, 10s);
  EXPECT_EQ(server_.request_count(), 1u);
  EXPECT_EQ(backend_->in_flight(), 0u);
}

TEST_F(BackendCall, AlreadyCancelledCallSendsNothing) {
  make();
  CancellationSource cancel;
  cancel.cancel("shutdown");
  const auto result = call(get("/collections"), cancel.token());
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().code, BackendErrorCode::kCancelled);
  EXPECT_EQ(result.error().detail, "shutdown");
  EXPECT_EQ(server_.request_count(), 0u);
  EXPECT_EQ(backend_->in_flight(), 0u);
}

TEST_F(BackendCall, QueryStringsStayOutOfTheLog) {
  LogCapture logs;
  make();
  server_.always(Reply::json(500, ""));
  ASSERT_FALSE(call(get("/collections?api_key=leaky-Q9", false)).has_value());
  const std::string text = logs.text();
  EXPECT_THAT(text, HasSubstr("path=/collections outcome=server_error"));
  EXPECT_THAT(text, Not(HasSubstr("leaky-Q9")));
  EXPECT_EQ(server_.requests().front().target, "/collections?api_key=leaky-Q9");
}

// 200 calls in waves of 25 against 16 slots, with random answers, hangs with short
// timeouts and cancellations: every call ends, the metrics account for every one of them,
// and no slot leaks.
TEST_F(BackendCall, MixedBatchLeaksNoSlotAndEveryCallIsCounted) {
  BackendSettings settings = qdrant_settings();
  settings.max_in_flight = 16;
  settings.breaker.failure_threshold = 10'000;  // keep it closed: this test is about accounting
  make(settings);
  server_.script([](const testing::SeenRequest& request, std::size_t) {
    const std::string kind = request.header("x-script");
    if (kind == "ok") return Reply::json(200, R"({"result":[]})");
    if (kind == "503") return Reply::json(503, "down");
    if (kind == "429") return Reply::json(429, "slow down");
    if (kind == "400") return Reply::json(400, R"({"status":{"error":"bad"}})");
    return Reply::hung();  // "hang" and "cancel"
  });

  std::mt19937 random(20240611);
  const std::vector<std::string> kinds = {"ok",  "ok",  "ok",  "ok",   "ok",    "503",
                                          "503", "429", "400", "hang", "cancel"};
  std::map<std::string, int> by_code;
  for (int wave = 0; wave < 8; ++wave) {
    std::vector<std::future<TimedResult>> futures;
    std::vector<CancellationSource> cancels(25);
    std::vector<bool> to_cancel(25, false);
    for (int i = 0; i < 25; ++i) {
      const std::string& kind = kinds[random() % kinds.size()];
      BackendRequest request = get("/points/" + std::to_string(wave * 25 + i), false);
      request.headers.emplace_back("X-Script", kind);
      if (kind == "hang") request.timeout = 80ms;
      futures.push_back(loop_.start(*backend_, request, cancels[i].token()));
      if (kind == "cancel") {
        to_cancel[i] = true;
        // Half before the call may even have started, half once it is under way.
        if (random() % 2 == 0) cancels[i].cancel();
      }
    }
    for (int i = 0; i < 25; ++i) {
      if (to_cancel[i]) cancels[i].cancel();
    }
    for (auto& future : futures) {
      const TimedResult done = CallerLoop::wait(future);
      by_code[done.result ? "ok" : to_string(done.result.error().code)]++;
    }
    EXPECT_EQ(backend_->in_flight(), 0u) << "after wave " << wave;
  }
  EXPECT_EQ(requests("success"), by_code["ok"]);
  EXPECT_EQ(requests("client_error"), by_code["backend_rejected"]);
  EXPECT_EQ(requests("server_error"), by_code["backend_unavailable"]);
  EXPECT_EQ(requests("timeout"), by_code["backend_timeout"]);
  EXPECT_EQ(requests("busy"), by_code["backend_busy"]);
  EXPECT_EQ(requests("cancelled"), by_code["cancelled"]);
  EXPECT_EQ(requests("transport_error"), 0);
  EXPECT_EQ(requests("circuit_open"), 0);
  int total = 0;
  for (const auto& [code, count] : by_code) total += count;
  EXPECT_EQ(total, 200);
  EXPECT_GT(by_code["ok"], 0);
  EXPECT_GT(by_code["backend_unavailable"], 0);
  EXPECT_GT(by_code["backend_rejected"], 0);
  EXPECT_GT(by_code["cancelled"], 0);
  EXPECT_GT(by_code["backend_timeout"], 0);
  EXPECT_LE(server_.request_count(), static_cast<std::size_t>(200 - by_code["backend_busy"]));

  // The backend still works, at full capacity.
  server_.always(Reply::json(200, "{}"));
  EXPECT_TRUE(call(get("/after")).has_value());
}

}  // namespace
}  // namespace shield::backend

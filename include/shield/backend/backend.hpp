#pragma once
// Backend: the one way out of the process to a service we depend on (orchestrator, Qdrant,
// embedder, LightRAG). Every call goes, in order, through: the circuit breaker (fail fast,
// no network I/O, while open) → a bulkhead slot (immediate backend_busy on overflow) → the
// HTTP client with the call's timeout → retries with jittered backoff (idempotent calls
// only, never past an open breaker) → metrics and one structured log line.
//
// What counts against the breaker: connect errors, resets, TLS failures, timeouts, HTTP 5xx
// and 429. Other 4xx answers, cancellations and answers over max_response_bytes do not
// (they say nothing about the backend's health). Only connect errors, resets, 5xx and 429
// are retried; a timed-out attempt has already spent the call's time.
//
// Threading: call() may be awaited concurrently from any io_context thread; it runs on the
// awaiting coroutine's executor (retry waits use a timer on it).
// Ownership: the Client, Metrics and Clock must outlive the Backend. Calls still in flight
// when the Backend is destroyed are undefined behaviour: cancel and await them first.
// Errors: call() returns values, never throws. The constructor throws std::invalid_argument
// for settings the breaker, retry policy or bulkhead refuse, or an empty base_url (start-up
// mistakes; settings_for() of a loaded config never produces them).
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <nlohmann/json.hpp>
#include <tl/expected.hpp>

#include "shield/http/client.hpp"
#include "shield/resilience/breaker_options.hpp"
#include "shield/resilience/circuit_breaker.hpp"
#include "shield/resilience/retry_policy.hpp"
#include "shield/util/cancellation.hpp"
#include "shield/util/clock.hpp"

namespace shield::metrics {
class Metrics;
}

namespace shield::backend {

using Json = nlohmann::json;

// The codes a tool reports in structuredContent.error.code.
enum class BackendErrorCode {
  kUnavailable,  // "backend_unavailable": breaker open, connection refused/reset, 5xx, 429
  kTimeout,      // "backend_timeout": no answer within the call's timeout
  kRejected,     // "backend_rejected": a 4xx other than 429 (our request was refused)
  kBusy,         // "backend_busy": bulkhead full
  kCancelled,    // the caller cancelled; not shown to users as a backend fault
};

const char* to_string(BackendErrorCode code) noexcept;

struct BackendError {
  BackendErrorCode code = BackendErrorCode::kUnavailable;
  std::string backend;   // "qdrant"
  std::string base_url;  // "http://127.0.0.1:6333"
  // A message a person can act on, e.g. "Qdrant at http://127.0.0.1:6333 is unavailable
  // (5 consecutive failures, last: connection refused); retrying in 42 s".
  std::string message;
  std::string detail;  // the underlying reason (curl error, status line, backend's message)
  std::optional<int> retry_after_s;
  unsigned http_status = 0;  // when the backend answered
  Json body;                 // the backend's answer body, when it answered (parsed if JSON)

  // {code, backend, message, retry_after_s, detail} for structuredContent.error, plus
  // http_status when the backend answered. retry_after_s is null when there is no estimate.
  [[nodiscard]] Json to_json() const;
};

struct BackendRequest {
  std::string method = "GET";
  std::string path;  // appended to the base URL, e.g. "/collections/docs/points/query"
  std::optional<Json> body;
  bool idempotent = false;  // only idempotent calls are retried
  std::vector<std::pair<std::string, std::string>> headers;
  std::optional<std::chrono::milliseconds> timeout;  // overrides the backend's default
};

struct BackendResponse {
  unsigned status = 0;
  Json body;  // parsed JSON, or a string holding the raw body when it is not JSON
  std::map<std::string, std::string> headers;
  std::chrono::microseconds elapsed{0};
};

using BackendResult = tl::expected<BackendResponse, BackendError>;

// How to authenticate to a backend.
enum class AuthStyle { kNone, kBearer, kHeader };

struct BackendSettings {
  std::string name;          // metrics label and breaker name: "qdrant", "embedder", ...
  std::string display_name;  // in messages: "Qdrant"
  std::string base_url;
  AuthStyle auth = AuthStyle::kNone;
  std::string auth_header;  // for kHeader: "api-key" (Qdrant), "X-API-Key" (LightRAG)
  std::string secret;       // never logged
  std::chrono::milliseconds connect_timeout{2'000};
  std::chrono::milliseconds timeout{10'000};
  std::size_t max_response_bytes = std::size_t{16} * 1024 * 1024;
  std::uint32_t max_in_flight = 64;
  resilience::BreakerOptions breaker;
  resilience::RetryOptions retry;
};

class Backend {
 public:
  Backend(BackendSettings settings, http::Client& client, metrics::Metrics& metrics,
          const Clock& clock);
  ~Backend();

  // 2xx → BackendResponse. Anything else → BackendError with the matching code; a 4xx
  // (other than 429) carries http_status and body so callers can special-case e.g. 404.
  boost::asio::awaitable<BackendResult> call(BackendRequest request, CancellationToken cancel = {});

  [[nodiscard]] const std::string& name() const;
  [[nodiscard]] const std::string& display_name() const;
  [[nodiscard]] const std::string& base_url() const;
  // For /readyz and tests.
  [[nodiscard]] resilience::BreakerSnapshot snapshot() const;
  [[nodiscard]] std::size_t in_flight() const;
  // This backend's entry in /readyz: {url, state: "closed"|"open"|"half_open",
  // retry_after_s, consecutive_failures, last_failure, open_cause, opened_at_unix_ms,
  // in_flight, max_in_flight}, plus window_calls and window_failures in rate mode. Empty
  // texts and a never-opened breaker give null fields. Never contains the secret.
  [[nodiscard]] Json readiness() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace shield::backend

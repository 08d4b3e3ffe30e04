#include "shield/backend/backend.hpp"

#include <algorithm>
#include <stdexcept>
#include <utility>

#include <fmt/format.h>
#include <spdlog/logger.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "backend/backend_answer.hpp"
#include "shield/metrics/metrics.hpp"
#include "shield/resilience/backend_metrics.hpp"
#include "shield/resilience/bulkhead.hpp"
#include "shield/util/logging.hpp"

namespace shield::backend {
namespace {

namespace asio = boost::asio;
using resilience::BackendOutcome;
using resilience::BreakerState;
using resilience::CircuitBreaker;

// Enough of a 5xx body to recognise it ("upstream connect error", "model not loaded")
// without dragging an HTML error page into every message.
constexpr std::size_t kFailureExcerptLimit = 120;

double milliseconds(Clock::Duration d) {
  return std::chrono::duration<double, std::milli>(d).count();
}

// The wait between two attempts; touched only on its strand.
struct RetryWait {
  RetryWait(const asio::strand<asio::any_io_executor>& strand, Clock::Duration delay)
      : timer(strand, delay) {}

  static asio::awaitable<void> run(std::shared_ptr<RetryWait> self) {
    if (self->cancelled) co_return;
    boost::system::error_code ignored;
    co_await self->timer.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
  }

  asio::steady_timer timer;
  bool cancelled = false;
};

// How one attempt ended, before the retry decision.
struct Attempt {
  BackendOutcome outcome = BackendOutcome::kSuccess;
  std::optional<BackendResponse> response;  // set on success
  BackendError error;                       // set otherwise
  bool retryable = false;
  std::optional<Clock::Duration> retry_after;  // the backend's Retry-After
};

}  // namespace

const char* to_string(BackendErrorCode code) noexcept {
  switch (code) {
    case BackendErrorCode::kUnavailable:
      return "backend_unavailable";
    case BackendErrorCode::kTimeout:
      return "backend_timeout";
    case BackendErrorCode::kRejected:
      return "backend_rejected";
    case BackendErrorCode::kBusy:
      return "backend_busy";
    case BackendErrorCode::kCancelled:
      return "cancelled";
  }
  return "backend_unavailable";
}

Json BackendError::to_json() const {
  Json out = {{"code", to_string(code)},
              {"backend", backend},
              {"message", message},
              {"retry_after_s", retry_after_s ? Json(*retry_after_s) : Json(nullptr)},
              {"detail", detail}};
  if (http_status != 0) out["http_status"] = http_status;
  return out;
}

struct Backend::Impl {
  Impl(BackendSettings s, http::Client& c, metrics::Metrics& m, const Clock& clk)
      : settings(std::move(s)),
        client(c),
        clock(clk),
        metrics(m.registry(), settings.name),
        breaker(settings.name, settings.breaker, clock, &metrics),
        bulkhead(settings.name, settings.max_in_flight),
        retry(settings.retry),
        log(named_logger("backend")) {
    if (settings.base_url.empty()) {
      throw std::invalid_argument("backend " + settings.name + ": the base URL is empty");
    }
    if (settings.display_name.empty()) settings.display_name = settings.name;
  }

  BackendSettings settings;
  http::Client& client;
  const Clock& clock;
  resilience::BackendMetrics metrics;
  CircuitBreaker breaker;
  resilience::Bulkhead bulkhead;
  resilience::RetryPolicy retry;
  std::shared_ptr<spdlog::logger> log;

  BackendError error(BackendErrorCode code, std::string message, std::string detail) const {
    BackendError e;
    e.code = code;
    e.backend = settings.name;
    e.base_url = settings.base_url;
    e.message = std::move(message);
    e.detail = std::move(detail);
    return e;
  }

  // The breaker refused before any I/O. This is the fail-fast path: no network, no log
  // line above debug, a handful of small strings.
  BackendError refused_by_breaker(const Error& refusal) {
    metrics.record_request(BackendOutcome::kCircuitOpen, Clock::Duration::zero());
    const resilience::BreakerSnapshot snap = breaker.snapshot();
    BackendError e;
    if (snap.state == BreakerState::kOpen) {
      e = error(BackendErrorCode::kUnavailable,
                fmt::format("{} at {} is unavailable ({}); retrying in {} s", settings.display_name,
                            settings.base_url, snap.open_cause, snap.retry_after_s),
                snap.open_cause);
      e.retry_after_s = static_cast<int>(std::max<std::int64_t>(snap.retry_after_s, 1));
    } else {
      // Half-open with every probe slot taken, or the state moved on since the refusal.
      e = error(BackendErrorCode::kUnavailable,
                fmt::format("{} at {} is unavailable (recovering: a probe call is checking it, "
                            "last failure: {}); retry in a few seconds",
                            settings.display_name, settings.base_url,
                            snap.last_failure.empty() ? std::string("unknown") : snap.last_failure),
                refusal.message);
      e.retry_after_s = 1;
    }
    return e;
  }

  BackendError refused_by_bulkhead(const BackendRequest& request) {
    metrics.record_request(BackendOutcome::kBusy, Clock::Duration::zero());
    BackendError e = error(BackendErrorCode::kBusy,
                           fmt::format("{} is busy: {} calls in flight (limit {}); retry shortly",
                                       settings.display_name, bulkhead.limit(), bulkhead.limit()),
                           "bulkhead full");
    e.retry_after_s = 1;
    // Debug only: under overload this would otherwise write one line per refused call;
    // backend_requests_total{outcome="busy"} shows the rate.
    log->debug("backend={} method={} path={} outcome=busy attempts=0 ms=0", settings.name,
               request.method, detail::loggable_path(request.path));
    return e;
  }

  http::ClientRequest build(const BackendRequest& request) const {
    http::ClientRequest out;
    out.method = request.method;
    out.url = settings.base_url + request.path;
    out.connect_timeout = settings.connect_timeout;
    out.total_timeout = request.timeout.value_or(settings.timeout);
    out.max_response_bytes = settings.max_response_bytes;
    out.fresh_connection = !request.idempotent;
    out.headers.reserve(request.headers.size() + 3);
    out.headers.emplace_back("Accept", "application/json");
    if (request.body) {
      // Invalid UTF-8 in a caller's text must not throw on the data path.
      out.body = request.body->dump(-1, ' ', false, Json::error_handler_t::replace);
      out.headers.emplace_back("Content-Type", "application/json");
    }
    switch (settings.auth) {
      case AuthStyle::kNone:
        break;
      case AuthStyle::kBearer:
        if (!settings.secret.empty()) {
          out.headers.emplace_back("Authorization", "Bearer " + settings.secret);
        }
        break;
      case AuthStyle::kHeader:
        if (!settings.secret.empty())
          out.headers.emplace_back(settings.auth_header, settings.secret);
        break;
    }
    for (const auto& header : request.headers) out.headers.push_back(header);
    return out;
  }

  // Classifies one finished attempt and tells the breaker about it.
  Attempt classify(http::ClientResult result, CircuitBreaker::Permit& permit,
                   std::chrono::milliseconds timeout) const {
    Attempt a;
    const std::string& who = settings.display_name;
    const std::string& url = settings.base_url;
    if (!result) {
      const http::ClientError& failure = result.error();
      const std::string reason = detail::transport_reason(failure);
      switch (failure.kind) {
        case http::ClientErrorKind::kCancelled:
          permit.record_ignored();
          a.outcome = BackendOutcome::kCancelled;
          a.error = error(BackendErrorCode::kCancelled,
                          fmt::format("the call to {} was cancelled", who), failure.message);
          return a;
        case http::ClientErrorKind::kTimeout:
          permit.record_failure(fmt::format("timed out after {} ms", timeout.count()));
          a.outcome = BackendOutcome::kTimeout;
          a.error =
              error(BackendErrorCode::kTimeout,
                    fmt::format("{} at {} did not answer within {} ms", who, url, timeout.count()),
                    failure.message);
          return a;
        case http::ClientErrorKind::kTooLarge:
          // Our limit, not the backend's health.
          permit.record_ignored();
          a.outcome = BackendOutcome::kTransportError;
          a.error = error(BackendErrorCode::kUnavailable,
                          fmt::format("{} at {} sent an answer larger than {} bytes (the "
                                      "{}.max_response_bytes limit)",
                                      who, url, settings.max_response_bytes, settings.name),
                          failure.message);
          return a;
        case http::ClientErrorKind::kInvalid:
          // Our mistake: no request went out, so the backend's health is unknown.
          permit.record_ignored();
          a.outcome = BackendOutcome::kTransportError;
          a.error = error(BackendErrorCode::kUnavailable,
                          fmt::format("the request to {} at {} could not be sent: {}", who, url,
                                      failure.message),
                          failure.message);
          return a;
        case http::ClientErrorKind::kConnect:
        case http::ClientErrorKind::kReset:
        case http::ClientErrorKind::kTls:
        case http::ClientErrorKind::kOther:
          break;
      }
      permit.record_failure(reason);
      a.outcome = BackendOutcome::kTransportError;
      // A TLS failure is a certificate or protocol mismatch; trying again cannot fix it.
      a.retryable = failure.kind != http::ClientErrorKind::kTls;
      a.error =
          error(BackendErrorCode::kUnavailable,
                fmt::format("{} at {} is unavailable: {}", who, url, reason), failure.message);
      return a;
    }

    http::ClientResponse& answer = *result;
    const unsigned status = answer.status;
    if (status >= 200 && status < 300) {
      permit.record_success();
      a.outcome = BackendOutcome::kSuccess;
      BackendResponse response;
      response.status = status;
      response.body = detail::parse_body(answer.body);
      response.headers = std::move(answer.headers);
      response.elapsed = answer.elapsed;
      a.response = std::move(response);
      return a;
    }
    if (status == 429 || status >= 500) {
      const std::string text = detail::excerpt(
          detail::error_text(detail::parse_body(answer.body), answer.body), kFailureExcerptLimit);
      const std::string reason =
          text.empty() ? fmt::format("HTTP {}", status) : fmt::format("HTTP {}: {}", status, text);
      permit.record_failure(reason);
      a.outcome = BackendOutcome::kServerError;
      a.retryable = true;
      if (auto after = detail::parse_retry_after(answer.header("retry-after"))) {
        a.retry_after = *after;
      }
      a.error =
          error(BackendErrorCode::kUnavailable,
                status == 429 ? fmt::format("{} at {} is rate-limiting calls: {}", who, url, reason)
                              : fmt::format("{} at {} is unavailable: {}", who, url, reason),
                reason);
      a.error.http_status = status;
      a.error.body = detail::parse_body(answer.body);
      if (a.retry_after) {
        a.error.retry_after_s = static_cast<int>(std::max<std::int64_t>(
            std::chrono::ceil<std::chrono::seconds>(*a.retry_after).count(), 1));
      }
      return a;
    }
    // The caller's fault (4xx), or an answer we never asked for (1xx, 3xx: redirects are not
    // followed, so one here means the URL points at the wrong place). Neither says the
    // backend is unhealthy.
    permit.record_ignored();
    a.outcome = BackendOutcome::kClientError;
    Json body = detail::parse_body(answer.body);
    std::string text = detail::error_text(body, answer.body);
    if (status >= 300 && status < 400) {
      if (auto location = answer.header("location")) text = "redirect to " + *location;
      a.error = error(BackendErrorCode::kRejected,
                      fmt::format("{} at {} answered HTTP {} ({}); check {}.url", who, url, status,
                                  text, settings.name),
                      text);
    } else {
      a.error = error(BackendErrorCode::kRejected,
                      text.empty()
                          ? fmt::format("{} rejected the request: HTTP {}", who, status)
                          : fmt::format("{} rejected the request: HTTP {}: {}", who, status, text),
                      text);
    }
    a.error.http_status = status;
    a.error.body = std::move(body);
    return a;
  }

  // Waits `delay`; false when `cancel` tripped first. The token may trip on any thread, so
  // the timer lives on a strand and both the wait and the cancellation run there: a cancel
  // can then never slip in between the check and the start of the wait.
  static asio::awaitable<bool> wait(Clock::Duration delay, const CancellationToken& cancel) {
    if (cancel.cancelled()) co_return false;
    const auto strand = asio::make_strand(co_await asio::this_coro::executor);
    auto state = std::make_shared<RetryWait>(strand, delay);
    const std::size_t id = cancel.on_cancel([state, strand] {
      asio::post(strand, [state] {
        state->cancelled = true;
        state->timer.cancel();
      });
    });
    co_await asio::co_spawn(strand, RetryWait::run(state), asio::use_awaitable);
    cancel.forget(id);
    co_return !cancel.cancelled();
  }

  void log_call(const BackendRequest& request, BackendOutcome outcome, unsigned status,
                std::uint32_t attempts, Clock::Duration elapsed, const BackendError* failure) {
    const auto path = detail::loggable_path(request.path);
    if (failure == nullptr) {
      log->debug("backend={} method={} path={} outcome={} status={} attempts={} ms={:.1f}",
                 settings.name, request.method, path, resilience::to_string(outcome), status,
                 attempts, milliseconds(elapsed));
      return;
    }
    log->info(
        "backend={} method={} path={} outcome={} status={} attempts={} ms={:.1f} error=\"{}\"",
        settings.name, request.method, path, resilience::to_string(outcome), status, attempts,
        milliseconds(elapsed), failure->message);
  }
};

Backend::Backend(BackendSettings settings, http::Client& client, metrics::Metrics& metrics,
                 const Clock& clock)
    : impl_(std::make_unique<Impl>(std::move(settings), client, metrics, clock)) {}

Backend::~Backend() = default;

asio::awaitable<BackendResult> Backend::call(BackendRequest request, CancellationToken cancel) {
  Impl& self = *impl_;
  const Clock::TimePoint started = self.clock.now();

  auto permit = self.breaker.try_acquire();
  if (!permit) {
    // Debug only, like the busy refusal: an open breaker can refuse thousands of calls a
    // second, and the breaker already logged why it opened.
    self.log->debug("backend={} method={} path={} outcome=circuit_open attempts=0 ms=0",
                    self.settings.name, request.method, detail::loggable_path(request.path));
    co_return tl::unexpected(self.refused_by_breaker(permit.error()));
  }
  auto slot = self.bulkhead.try_enter();
  if (!slot) {
    permit->record_ignored();
    co_return tl::unexpected(self.refused_by_bulkhead(request));
  }

  const std::chrono::milliseconds timeout = request.timeout.value_or(self.settings.timeout);
  http::ClientRequest http_request = self.build(request);
  std::optional<CircuitBreaker::Permit> current(std::move(*permit));
  std::uint32_t attempts = 0;
  Attempt last;
  for (;;) {
    if (!current) {
      // Each attempt asks the breaker again, so one that opened meanwhile stops the retries.
      auto next = self.breaker.try_acquire();
      if (!next) {
        BackendError refused = self.refused_by_breaker(next.error());
        self.log_call(request, BackendOutcome::kCircuitOpen, last.error.http_status, attempts,
                      self.clock.now() - started, &refused);
        co_return tl::unexpected(std::move(refused));
      }
      current.emplace(std::move(*next));
    }
    ++attempts;
    const Clock::TimePoint attempt_started = self.clock.now();
    http::ClientResult result =
        tl::unexpected(http::ClientError{http::ClientErrorKind::kCancelled, cancel.reason()});
    if (!cancel.cancelled()) {
      // Only the last possible attempt may give the request away; the others send a copy.
      const bool last_attempt = !request.idempotent || attempts >= self.settings.retry.max_attempts;
      http::ClientRequest outgoing;
      if (last_attempt) {
        outgoing = std::exchange(http_request, http::ClientRequest{});
      } else {
        outgoing = http_request;
      }
      result = co_await self.client.send(std::move(outgoing), cancel);
    }
    last = self.classify(std::move(result), *current, timeout);
    current.reset();
    self.metrics.record_request(last.outcome, self.clock.now() - attempt_started);

    if (last.response) {
      self.log_call(request, last.outcome, last.response->status, attempts,
                    self.clock.now() - started, nullptr);
      co_return std::move(*last.response);
    }
    if (!last.retryable) break;
    const auto delay =
        self.retry.next_delay(attempts, request.idempotent, self.breaker, last.retry_after);
    if (!delay) break;
    if (!co_await Impl::wait(*delay, cancel)) {
      last.outcome = BackendOutcome::kCancelled;
      last.error = self.error(
          BackendErrorCode::kCancelled,
          fmt::format("the call to {} was cancelled", self.settings.display_name), cancel.reason());
      break;
    }
  }

  BackendError& failure = last.error;
  // When this call's failures opened the breaker, say when it will be tried again.
  if (failure.code != BackendErrorCode::kCancelled && failure.code != BackendErrorCode::kRejected) {
    const resilience::BreakerSnapshot snap = self.breaker.snapshot();
    if (snap.state == BreakerState::kOpen) {
      failure.retry_after_s = static_cast<int>(std::max<std::int64_t>(snap.retry_after_s, 1));
    }
  }
  self.log_call(request, last.outcome, failure.http_status, attempts, self.clock.now() - started,
                &failure);
  co_return tl::unexpected(std::move(failure));
}

const std::string& Backend::name() const {
  return impl_->settings.name;
}

const std::string& Backend::display_name() const {
  return impl_->settings.display_name;
}

const std::string& Backend::base_url() const {
  return impl_->settings.base_url;
}

resilience::BreakerSnapshot Backend::snapshot() const {
  return impl_->breaker.snapshot();
}

std::size_t Backend::in_flight() const {
  return impl_->bulkhead.in_flight();
}

Json Backend::readiness() const {
  const resilience::BreakerSnapshot snap = impl_->breaker.snapshot();
  const auto text_or_null = [](const std::string& text) {
    return text.empty() ? Json(nullptr) : Json(text);
  };
  Json out = {
      {"url", impl_->settings.base_url},
      {"state", resilience::to_string(snap.state)},
      {"retry_after_s",
       snap.state == BreakerState::kOpen ? Json(snap.retry_after_s) : Json(nullptr)},
      {"consecutive_failures", snap.consecutive_failures},
      {"last_failure", text_or_null(snap.last_failure)},
      {"open_cause", text_or_null(snap.open_cause)},
      {"opened_at_unix_ms", snap.opened_at_unix_ms ? Json(*snap.opened_at_unix_ms) : Json(nullptr)},
      {"in_flight", impl_->bulkhead.in_flight()},
      {"max_in_flight", impl_->bulkhead.limit()},
  };
  if (snap.mode == resilience::BreakerMode::kFailureRate) {
    out["window_calls"] = snap.window_calls;
    out["window_failures"] = snap.window_failures;
  }
  return out;
}

}  // namespace shield::backend

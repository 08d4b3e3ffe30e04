#include "shield/http/router.hpp"

#include <array>
#include <atomic>
#include <chrono>
#include <string_view>

#include "json_response.hpp"
#include "shield/metrics/metrics.hpp"

namespace shield::http {
namespace bhttp = boost::beast::http;

namespace {

using Clock = std::chrono::steady_clock;

constexpr std::string_view kOtherEndpoint = "other";

// Metric labels must stay bounded: a peer can send any method token.
std::string method_label(const Request& request) {
  switch (request.method()) {
    case bhttp::verb::get:
    case bhttp::verb::head:
    case bhttp::verb::post:
    case bhttp::verb::put:
    case bhttp::verb::patch:
    case bhttp::verb::delete_:
    case bhttp::verb::options:
      return std::string(request.method_string());
    default:
      return "other";
  }
}

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// Forwards to the connection's exchange and records the answer's status and latency under
// the route's name. Streams count at their head: an SSE stream may stay open for hours.
class MeteredExchange final : public Exchange {
 public:
  MeteredExchange(std::shared_ptr<Exchange> inner, metrics::Metrics& metrics, std::string endpoint,
                  std::string method, Clock::time_point received)
      : inner_(std::move(inner)),
        metrics_(metrics),
        endpoint_(std::move(endpoint)),
        method_(std::move(method)),
        received_(received) {}

  ~MeteredExchange() override {
    // The inner exchange answers 500 when it is dropped unanswered; count it the same.
    if (!recorded_.exchange(true)) record(500);
  }
  MeteredExchange(const MeteredExchange&) = delete;
  MeteredExchange& operator=(const MeteredExchange&) = delete;

  void respond(Response response) override {
    if (!recorded_.exchange(true)) record(response.result_int());
    inner_->respond(std::move(response));
  }

  std::shared_ptr<ResponseStream> start_stream(Response head) override {
    if (!recorded_.exchange(true)) record(head.result_int());
    return inner_->start_stream(std::move(head));
  }

  [[nodiscard]] const std::string& peer() const override { return inner_->peer(); }
  void on_peer_gone(std::function<void()> callback) override {
    inner_->on_peer_gone(std::move(callback));
  }

 private:
  void record(unsigned status) {
    metrics_.record_api_request(endpoint_, method_, status, seconds_since(received_));
  }

  std::shared_ptr<Exchange> inner_;
  metrics::Metrics& metrics_;
  std::string endpoint_;
  std::string method_;
  Clock::time_point received_;
  std::atomic<bool> recorded_{false};
};

std::string_view path_of(std::string_view target) {
  const auto end = target.find_first_of("?#");
  return end == std::string_view::npos ? target : target.substr(0, end);
}

}  // namespace

Router::Router(AccessPolicy policy, metrics::Metrics* metrics)
    : policy_(std::move(policy)), metrics_(metrics) {}

void Router::add(std::string path, RouteOptions options, Handler handler) {
  add(std::move(path), options,
      [handler = std::move(handler)](Request request, std::shared_ptr<Exchange> exchange,
                                     std::string) {
        handler(std::move(request), std::move(exchange));
      });
}

void Router::add(std::string path, RouteOptions options, PrincipalHandler handler) {
  routes_.push_back(Route{std::move(path), options, std::move(handler)});
}

void Router::operator()(Request request, std::shared_ptr<Exchange> exchange) const {
  const auto received = Clock::now();
  const auto path = path_of(request.target());

  // Exact routes win; among prefix routes the longest does.
  const Route* route = nullptr;
  for (const auto& candidate : routes_) {
    if (candidate.path == path) {
      route = &candidate;
      break;
    }
    const bool prefix = !candidate.path.empty() && candidate.path.back() == '/' &&
                        path.substr(0, candidate.path.size()) == candidate.path;
    if (prefix && (route == nullptr || candidate.path.size() > route->path.size())) {
      route = &candidate;
    }
  }

  auto refuse = [&](Response response, std::string_view endpoint) {
    if (metrics_ != nullptr) {
      metrics_->record_api_request(std::string(endpoint), method_label(request),
                                   response.result_int(), seconds_since(received));
    }
    exchange->respond(std::move(response));
  };

  if (route == nullptr) {
    auto response = detail::json_response(
        bhttp::status::not_found, request.version(),
        detail::error_body(ErrorCode::kNotFound,
                           "no route for '" + detail::quote_header_value(path) + "'"));
    refuse(std::move(response), kOtherEndpoint);
    return;
  }
  if (route->options.check_host_origin) {
    if (auto denied = policy_.check_host_origin(request)) {
      refuse(std::move(*denied), route->path);
      return;
    }
  }
  std::string principal = "anonymous";
  if (route->options.require_auth) {
    if (auto denied = policy_.check_auth(request, principal)) {
      refuse(std::move(*denied), route->path);
      return;
    }
  }
  if (metrics_ != nullptr) {
    exchange = std::make_shared<MeteredExchange>(std::move(exchange), *metrics_, route->path,
                                                 method_label(request), received);
  }
  route->handler(std::move(request), std::move(exchange), std::move(principal));
}

}  // namespace shield::http

#include "shield/app/health_routes.hpp"

#include <boost/beast/http/field.hpp>
#include <boost/beast/http/status.hpp>
#include <boost/beast/http/verb.hpp>

#include "shield/build_info.hpp"

namespace shield::app {
namespace bhttp = boost::beast::http;

namespace {

http::Response make_response(const http::Request& request, bhttp::status status, std::string body,
                             const char* content_type) {
  http::Response response{status, request.version()};
  response.set(bhttp::field::content_type, content_type);
  response.set(bhttp::field::cache_control, "no-store");
  response.keep_alive(request.keep_alive());
  response.body() = std::move(body);
  response.prepare_payload();
  return response;
}

// Probes and scrapers only read; anything else is a client mistake worth naming.
bool reject_non_get(const http::Request& request, http::Exchange& exchange) {
  if (request.method() == bhttp::verb::get || request.method() == bhttp::verb::head) return false;
  auto response = make_response(request, bhttp::status::method_not_allowed,
                                R"({"error":"method not allowed: use GET"})", "application/json");
  response.set(bhttp::field::allow, "GET, HEAD");
  exchange.respond(std::move(response));
  return true;
}

}  // namespace

nlohmann::json readiness(const HealthSources& sources) {
  const bool stopping = sources.stopping && sources.stopping();
  nlohmann::json body = {
      {"status", stopping ? "stopping" : "ready"},
      {"version", build::kVersion},
      {"listeners", sources.listeners ? sources.listeners() : nlohmann::json::object()},
      {"sessions", sources.sessions ? sources.sessions() : 0},
  };
  if (sources.backends) body["backends"] = sources.backends();
  body["degraded"] = sources.degraded && sources.degraded();
  return body;
}

void add_health_routes(http::Router& router, HealthSources sources) {
  router.add("/healthz", {.check_host_origin = false, .require_auth = false},
             [](http::Request request, std::shared_ptr<http::Exchange> exchange) {
               if (reject_non_get(request, *exchange)) return;
               exchange->respond(make_response(request, bhttp::status::ok, R"({"status":"ok"})",
                                               "application/json"));
             });
  router.add("/readyz", {.check_host_origin = false, .require_auth = true},
             [sources = std::move(sources)](http::Request request,
                                            std::shared_ptr<http::Exchange> exchange) {
               if (reject_non_get(request, *exchange)) return;
               auto body = readiness(sources);
               auto status = body["status"] == "ready" ? bhttp::status::ok
                                                       : bhttp::status::service_unavailable;
               exchange->respond(make_response(request, status, body.dump(), "application/json"));
             });
}

void add_metrics_route(http::Router& router, metrics::Metrics& metrics) {
  router.add("/metrics", {.check_host_origin = false, .require_auth = false},
             [&metrics](http::Request request, std::shared_ptr<http::Exchange> exchange) {
               if (reject_non_get(request, *exchange)) return;
               exchange->respond(make_response(request, bhttp::status::ok, metrics.serialize(),
                                               "text/plain; version=0.0.4; charset=utf-8"));
             });
}

}  // namespace shield::app

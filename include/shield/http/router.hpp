#pragma once
// Maps a request to a handler by exact path, applies the access policy each route asks for,
// and records api_requests_total / api_duration_seconds under the route's name (bounded
// labels: unknown paths are all "other").
//
// Threading: routes are added before the server starts; afterwards read-only.
#include <string>
#include <vector>

#include "shield/http/access_policy.hpp"
#include "shield/http/exchange.hpp"

namespace shield::metrics {
class Metrics;
}

namespace shield::http {

struct RouteOptions {
  bool check_host_origin = true;  // DNS-rebinding protection (Host/Origin allow-lists)
  bool require_auth = true;       // bearer token, when tokens are configured
};

// A handler that also learns who called: the principal the bearer token names, or
// "anonymous" when auth is off (or the route does not require it).
using PrincipalHandler =
    std::function<void(Request request, std::shared_ptr<Exchange> exchange, std::string principal)>;

class Router {
 public:
  Router(AccessPolicy policy, metrics::Metrics* metrics);
  // `path` matches exactly ("/mcp"), or as a prefix when it ends with '/' ("/jobs/").
  void add(std::string path, RouteOptions options, Handler handler);
  void add(std::string path, RouteOptions options, PrincipalHandler handler);
  // The http::Handler to give the Server.
  void operator()(Request request, std::shared_ptr<Exchange> exchange) const;
  [[nodiscard]] const AccessPolicy& policy() const { return policy_; }

 private:
  struct Route {
    std::string path;
    RouteOptions options;
    PrincipalHandler handler;
  };
  AccessPolicy policy_;
  metrics::Metrics* metrics_;
  std::vector<Route> routes_;
};

}  // namespace shield::http

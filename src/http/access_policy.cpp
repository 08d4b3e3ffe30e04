#include "shield/http/access_policy.hpp"

#include <algorithm>
#include <cctype>
#include <string_view>
#include <utility>

#include <boost/beast/http/field.hpp>

#include "json_response.hpp"
#include "shield/util/secure_token.hpp"

namespace shield::http {
namespace bhttp = boost::beast::http;

namespace {

// The JSON-RPC "server error" range: what MCP clients show for transport refusals.
constexpr int kRefusedCode = -32000;

struct Authority {
  std::string host;                 // lowercase; IPv6 in brackets
  std::optional<std::string> port;  // digits only
};

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

bool all_digits(std::string_view text) {
  return std::all_of(text.begin(), text.end(),
                     [](unsigned char c) { return std::isdigit(c) != 0; });
}

bool valid_host_char(unsigned char c) {
  return std::isalnum(c) != 0 || c == '-' || c == '.' || c == '_' || c == '%';
}

// "host", "host:port", "[v6]" or "[v6]:port". `bare_ipv6` accepts "::1" as written in
// config; a Host header must bracket IPv6.
std::optional<Authority> parse_authority(std::string_view text, bool bare_ipv6) {
  text = trim(text);
  if (text.empty()) return std::nullopt;
  Authority out;
  std::string_view port;
  bool has_port = false;
  if (text.front() == '[') {
    const auto close = text.find(']');
    if (close == std::string_view::npos || close < 2) return std::nullopt;
    const auto inner = text.substr(1, close - 1);
    if (!std::all_of(inner.begin(), inner.end(), [](unsigned char c) {
          return std::isxdigit(c) != 0 || c == ':' || c == '.';
        })) {
      return std::nullopt;
    }
    out.host = "[" + lower(inner) + "]";
    auto rest = text.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return std::nullopt;
      port = rest.substr(1);
      has_port = true;
    }
  } else {
    const auto colons = std::count(text.begin(), text.end(), ':');
    if (colons > 1) {
      if (!bare_ipv6) return std::nullopt;
      return parse_authority("[" + std::string(text) + "]", false);
    }
    const auto colon = text.find(':');
    const auto host = text.substr(0, colon);
    if (host.empty() || !std::all_of(host.begin(), host.end(), valid_host_char)) {
      return std::nullopt;
    }
    out.host = lower(host);
    if (colon != std::string_view::npos) {
      port = text.substr(colon + 1);
      has_port = true;
    }
  }
  if (has_port) {
    if (!all_digits(port) || port.size() > 5) return std::nullopt;
    if (!port.empty()) out.port = std::string(port);
  }
  return out;
}

struct Origin {
  std::string scheme;
  Authority authority;
};

// "scheme://host[:port]": an Origin header carries no path, query or user info.
std::optional<Origin> parse_origin(std::string_view text, bool bare_ipv6) {
  text = trim(text);
  const auto sep = text.find("://");
  if (sep == std::string_view::npos || sep == 0) return std::nullopt;
  const auto scheme = text.substr(0, sep);
  if (!std::all_of(scheme.begin(), scheme.end(), [](unsigned char c) {
        return std::isalnum(c) != 0 || c == '+' || c == '-' || c == '.';
      })) {
    return std::nullopt;
  }
  auto rest = text.substr(sep + 3);
  if (rest.find_first_of("/?#@") != std::string_view::npos) return std::nullopt;
  auto authority = parse_authority(rest, bare_ipv6);
  if (!authority) return std::nullopt;
  return Origin{lower(scheme), std::move(*authority)};
}

std::string default_port(const std::string& scheme) {
  if (scheme == "http") return "80";
  if (scheme == "https") return "443";
  return {};
}

bool is_unspecified(const std::string& host) {
  return host.empty() || host == "0.0.0.0" || host == "::" || host == "[::]";
}

Response refusal(bhttp::status status, const Request& request, const std::string& message) {
  auto response = detail::json_response(status, request.version(),
                                        detail::json_rpc_error_body(kRefusedCode, message));
  response.keep_alive(request.keep_alive());
  return response;
}

}  // namespace

AccessPolicy::AccessPolicy(const config::ServerConfig& server, const HostPort& bound) {
  std::vector<std::string> local_names = {"localhost", "127.0.0.1", "[::1]"};
  for (const auto* listen : {&server.listen, &bound}) {
    if (is_unspecified(listen->host)) continue;
    if (auto authority = parse_authority(listen->host, true)) {
      local_names.push_back(authority->host);
    }
  }

  if (server.allowed_hosts.empty()) {
    hosts_ = local_names;
  } else {
    for (const auto& entry : server.allowed_hosts) {
      if (trim(entry) == "*") {
        any_host_ = true;
      } else if (auto authority = parse_authority(entry, true)) {
        hosts_.push_back(std::move(authority->host));
      }
    }
  }

  if (server.allowed_origins.empty()) {
    for (const auto& name : local_names) {
      origins_.push_back({"http", name, std::nullopt});
      origins_.push_back({"https", name, std::nullopt});
    }
  } else {
    for (const auto& entry : server.allowed_origins) {
      if (trim(entry) == "*") {
        any_origin_ = true;
      } else if (auto origin = parse_origin(entry, true)) {
        origins_.push_back(
            {std::move(origin->scheme), std::move(origin->authority.host), origin->authority.port});
      }
    }
  }

  for (std::size_t i = 0; i < server.auth_tokens.size(); ++i) {
    // An empty token would let "Authorization: Bearer " in.
    if (server.auth_tokens[i].empty()) continue;
    tokens_.push_back(server.auth_tokens[i].value);
    principals_.push_back("token-" + std::to_string(i + 1));
  }
}

bool AccessPolicy::host_allowed(const std::string& host) const {
  return std::find(hosts_.begin(), hosts_.end(), host) != hosts_.end();
}

bool AccessPolicy::origin_allowed(const std::string& text) const {
  if (trim(text) == "null") return false;
  auto origin = parse_origin(text, false);
  if (!origin) return false;
  const auto port = origin->authority.port.value_or(default_port(origin->scheme));
  return std::any_of(origins_.begin(), origins_.end(), [&](const OriginRule& rule) {
    if (rule.scheme != origin->scheme || rule.host != origin->authority.host) return false;
    return !rule.port || *rule.port == port;
  });
}

std::optional<Response> AccessPolicy::check_host_origin(const Request& request) const {
  if (!any_host_) {
    const auto value = request[bhttp::field::host];
    auto authority = parse_authority(value, false);
    // Two Host fields are a request-smuggling shape; refuse rather than pick one.
    if (request.count(bhttp::field::host) != 1 || !authority || !host_allowed(authority->host)) {
      return refusal(bhttp::status::forbidden, request,
                     "Forbidden: invalid Host header '" + detail::quote_header_value(value) + "'");
    }
  }
  if (!any_origin_ && request.count(bhttp::field::origin) > 0) {
    const auto value = request[bhttp::field::origin];
    if (request.count(bhttp::field::origin) != 1 || !origin_allowed(std::string(value))) {
      return refusal(
          bhttp::status::forbidden, request,
          "Forbidden: invalid Origin header '" + detail::quote_header_value(value) + "'");
    }
  }
  return std::nullopt;
}

std::optional<Response> AccessPolicy::check_auth(const Request& request,
                                                 std::string& principal) const {
  if (tokens_.empty()) {
    principal = "anonymous";
    return std::nullopt;
  }
  std::optional<std::string_view> presented;
  const auto value = trim(request[bhttp::field::authorization]);
  constexpr std::string_view kScheme = "bearer";
  if (value.size() > kScheme.size() && lower(value.substr(0, kScheme.size())) == kScheme &&
      (value[kScheme.size()] == ' ' || value[kScheme.size()] == '\t')) {
    presented = trim(value.substr(kScheme.size()));
  }
  if (presented) {
    // No early exit: the time taken must not tell which token (if any) came close.
    std::size_t matched = 0;
    for (std::size_t i = 0; i < tokens_.size(); ++i) {
      const bool equal = constant_time_equal(*presented, tokens_[i]);
      matched = (equal && matched == 0) ? i + 1 : matched;
    }
    if (matched != 0) {
      principal = principals_[matched - 1];
      return std::nullopt;
    }
  }
  auto response =
      refusal(bhttp::status::unauthorized, request,
              presented ? "Unauthorized: the bearer token is not valid"
                        : "Unauthorized: this endpoint requires 'Authorization: Bearer <token>'");
  response.set(bhttp::field::www_authenticate,
               presented ? R"(Bearer realm="shield-mcp", error="invalid_token")"
                         : R"(Bearer realm="shield-mcp")");
  return response;
}

}  // namespace shield::http

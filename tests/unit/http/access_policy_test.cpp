#include "shield/http/access_policy.hpp"

#include <gtest/gtest.h>

#include <boost/beast/http/field.hpp>
#include <nlohmann/json.hpp>

namespace shield::http {
namespace {

namespace bhttp = boost::beast::http;

Request request_with(std::optional<std::string> host, std::optional<std::string> origin = {},
                     std::optional<std::string> authorization = {}) {
  Request request{bhttp::verb::post, "/mcp", 11};
  if (host) request.set(bhttp::field::host, *host);
  if (origin) request.set(bhttp::field::origin, *origin);
  if (authorization) request.set(bhttp::field::authorization, *authorization);
  return request;
}

AccessPolicy default_policy() {
  return AccessPolicy(config::ServerConfig{}, HostPort{"127.0.0.1", 8765});
}

bool allowed(const AccessPolicy& policy, const Request& request) {
  return !policy.check_host_origin(request).has_value();
}

std::string error_message(const Response& response) {
  return nlohmann::json::parse(response.body())["error"]["message"].get<std::string>();
}

TEST(AccessPolicyTest, DefaultHostsAreTheLoopbackNamesOnAnyPort) {
  auto policy = default_policy();
  for (const char* host : {"localhost", "localhost:8765", "LocalHost:1", "127.0.0.1",
                           "127.0.0.1:8765", "[::1]", "[::1]:8765", "[::1]:9"}) {
    EXPECT_TRUE(allowed(policy, request_with(host))) << host;
  }
}

TEST(AccessPolicyTest, ForeignHostsAreForbiddenWithAJsonRpcBody) {
  auto policy = default_policy();
  auto denied = policy.check_host_origin(request_with("evil.example:8765"));
  ASSERT_TRUE(denied);
  EXPECT_EQ(denied->result(), bhttp::status::forbidden);
  EXPECT_EQ((*denied)[bhttp::field::content_type], "application/json");
  EXPECT_EQ(denied->body(),
            R"({"jsonrpc":"2.0","id":null,"error":{"code":-32000,"message":"Forbidden: invalid )"
            R"(Host header 'evil.example:8765'"}})");
  EXPECT_EQ((*denied)[bhttp::field::content_length], std::to_string(denied->body().size()));
}

TEST(AccessPolicyTest, LookAlikeAndMalformedHostsAreForbidden) {
  auto policy = default_policy();
  for (const char* host : {"localhost.evil.example", "127.0.0.1.nip.io", "evil-localhost", "::1",
                           "localhost:http", "localhost:8765:1", "[::1", "", "local host"}) {
    EXPECT_FALSE(allowed(policy, request_with(host))) << "'" << host << "'";
  }
  EXPECT_FALSE(allowed(policy, request_with(std::nullopt)));
}

TEST(AccessPolicyTest, TwoHostFieldsAreForbidden) {
  auto policy = default_policy();
  auto request = request_with("localhost");
  request.insert(bhttp::field::host, "evil.example");
  EXPECT_FALSE(allowed(policy, request));
}

TEST(AccessPolicyTest, HostValueIsEscapedInTheBody) {
  auto policy = default_policy();
  auto denied = policy.check_host_origin(request_with(R"(evil"},"x":{")"));
  ASSERT_TRUE(denied);
  EXPECT_EQ(error_message(*denied), R"(Forbidden: invalid Host header 'evil"},"x":{"')");
}

TEST(AccessPolicyTest, TheBoundAndListenHostsAreAllowedByDefault) {
  config::ServerConfig server;
  server.listen = HostPort{"mcp.internal", 8765};
  AccessPolicy policy(server, HostPort{"10.1.2.3", 8765});
  EXPECT_TRUE(allowed(policy, request_with("10.1.2.3:8765")));
  EXPECT_TRUE(allowed(policy, request_with("MCP.internal:8765")));
  EXPECT_TRUE(allowed(policy, request_with("localhost")));
  EXPECT_FALSE(allowed(policy, request_with("10.1.2.4:8765")));
}

TEST(AccessPolicyTest, IPv6BoundHostIsBracketed) {
  AccessPolicy policy(config::ServerConfig{}, HostPort{"fe80::1", 8765});
  EXPECT_TRUE(allowed(policy, request_with("[fe80::1]:8765")));
  EXPECT_TRUE(allowed(policy, request_with("[FE80::1]")));
}

TEST(AccessPolicyTest, AWildcardBindAddsNothing) {
  config::ServerConfig server;
  server.listen = HostPort{"0.0.0.0", 8765};
  AccessPolicy policy(server, HostPort{"0.0.0.0", 8765});
  EXPECT_FALSE(allowed(policy, request_with("0.0.0.0:8765")));
  EXPECT_TRUE(allowed(policy, request_with("localhost:8765")));
}

TEST(AccessPolicyTest, ConfiguredHostsReplaceTheDefaults) {
  config::ServerConfig server;
  server.allowed_hosts = {"mcp.example.com:443", "::1"};
  AccessPolicy policy(server, HostPort{"127.0.0.1", 8765});
  EXPECT_TRUE(allowed(policy, request_with("mcp.example.com")));
  EXPECT_TRUE(allowed(policy, request_with("MCP.EXAMPLE.COM:8443")));
  EXPECT_TRUE(allowed(policy, request_with("[::1]:8765")));
  EXPECT_FALSE(allowed(policy, request_with("localhost:8765")));
}

TEST(AccessPolicyTest, WildcardHostAllowsAny) {
  config::ServerConfig server;
  server.allowed_hosts = {"*"};
  AccessPolicy policy(server, HostPort{"127.0.0.1", 8765});
  EXPECT_TRUE(allowed(policy, request_with("anything.example")));
}

TEST(AccessPolicyTest, MissingOriginIsAllowed) {
  EXPECT_TRUE(allowed(default_policy(), request_with("localhost")));
}

TEST(AccessPolicyTest, DefaultOriginsAreLoopbackOverHttpAndHttpsOnAnyPort) {
  auto policy = default_policy();
  for (const char* origin : {"http://localhost", "http://localhost:3000", "https://localhost",
                             "http://127.0.0.1:6274", "https://[::1]:5173", "HTTP://LOCALHOST"}) {
    EXPECT_TRUE(allowed(policy, request_with("localhost", std::string(origin)))) << origin;
  }
}

TEST(AccessPolicyTest, ForeignNullAndMalformedOriginsAreForbidden) {
  auto policy = default_policy();
  for (const char* origin :
       {"http://evil.example", "http://localhost.evil.example", "ftp://localhost",
        "http://localhost/path", "http://user@localhost", "localhost", "http://", "null"}) {
    auto denied = policy.check_host_origin(request_with("localhost", std::string(origin)));
    ASSERT_TRUE(denied) << origin;
    EXPECT_EQ(denied->result(), bhttp::status::forbidden);
    EXPECT_EQ(error_message(*denied),
              std::string("Forbidden: invalid Origin header '") + origin + "'");
  }
}

TEST(AccessPolicyTest, OriginIsCheckedEvenWhenHostIsValid) {
  auto denied =
      default_policy().check_host_origin(request_with("localhost:8765", "http://evil.example"));
  ASSERT_TRUE(denied);
  EXPECT_EQ(nlohmann::json::parse(denied->body())["error"]["code"], -32000);
}

TEST(AccessPolicyTest, ConfiguredOriginsMatchSchemeHostAndOptionalPort) {
  config::ServerConfig server;
  server.allowed_origins = {"https://app.example.com:8443", "http://tool.local"};
  AccessPolicy policy(server, HostPort{"127.0.0.1", 8765});
  EXPECT_TRUE(allowed(policy, request_with("localhost", "https://app.example.com:8443")));
  EXPECT_FALSE(allowed(policy, request_with("localhost", "https://app.example.com")));
  EXPECT_FALSE(allowed(policy, request_with("localhost", "http://app.example.com:8443")));
  EXPECT_TRUE(allowed(policy, request_with("localhost", "http://tool.local:9999")));
  EXPECT_TRUE(allowed(policy, request_with("localhost", "http://TOOL.local")));
  EXPECT_FALSE(allowed(policy, request_with("localhost", "https://tool.local")));
  EXPECT_FALSE(allowed(policy, request_with("localhost", "http://localhost:3000")));
}

TEST(AccessPolicyTest, ConfiguredPortMatchesTheSchemeDefault) {
  config::ServerConfig server;
  server.allowed_origins = {"https://app.example.com:443"};
  AccessPolicy policy(server, HostPort{"127.0.0.1", 8765});
  EXPECT_TRUE(allowed(policy, request_with("localhost", "https://app.example.com")));
}

TEST(AccessPolicyTest, WildcardOriginAllowsEvenNull) {
  config::ServerConfig server;
  server.allowed_origins = {"*"};
  AccessPolicy policy(server, HostPort{"127.0.0.1", 8765});
  EXPECT_TRUE(allowed(policy, request_with("localhost", "null")));
  EXPECT_TRUE(allowed(policy, request_with("localhost", "https://anything.example")));
}

TEST(AccessPolicyTest, WithoutTokensAuthIsOffAndThePrincipalIsAnonymous) {
  auto policy = default_policy();
  EXPECT_FALSE(policy.auth_enabled());
  std::string principal;
  EXPECT_FALSE(policy.check_auth(request_with("localhost"), principal));
  EXPECT_EQ(principal, "anonymous");
}

config::ServerConfig with_tokens(std::vector<std::string> tokens) {
  config::ServerConfig server;
  for (auto& token : tokens) server.auth_tokens.push_back(config::Secret{std::move(token)});
  return server;
}

TEST(AccessPolicyTest, EachTokenHasItsOwnPrincipal) {
  AccessPolicy policy(with_tokens({"alpha-secret-1", "beta-secret-22", "gamma"}),
                      HostPort{"127.0.0.1", 8765});
  EXPECT_TRUE(policy.auth_enabled());
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"Bearer alpha-secret-1", "token-1"},
      {"Bearer beta-secret-22", "token-2"},
      {"bearer gamma", "token-3"},
      {"BEARER   gamma  ", "token-3"}};
  for (const auto& [header, expected] : cases) {
    std::string principal;
    auto denied = policy.check_auth(request_with("localhost", std::nullopt, header), principal);
    EXPECT_FALSE(denied) << header;
    EXPECT_EQ(principal, expected) << header;
  }
}

TEST(AccessPolicyTest, MissingTokenGets401WithABareChallenge) {
  AccessPolicy policy(with_tokens({"secret"}), HostPort{"127.0.0.1", 8765});
  for (const std::optional<std::string>& header :
       {std::optional<std::string>{}, std::optional<std::string>{"Basic c2VjcmV0"},
        std::optional<std::string>{"Bearer"}}) {
    std::string principal;
    auto denied = policy.check_auth(request_with("localhost", std::nullopt, header), principal);
    ASSERT_TRUE(denied) << header.value_or("(none)");
    EXPECT_EQ(denied->result(), bhttp::status::unauthorized);
    EXPECT_EQ((*denied)[bhttp::field::www_authenticate], R"(Bearer realm="shield-mcp")");
    EXPECT_EQ((*denied)[bhttp::field::content_type], "application/json");
    auto body = nlohmann::json::parse(denied->body());
    EXPECT_EQ(body["jsonrpc"], "2.0");
    EXPECT_NE(body["error"]["message"].get<std::string>().find("Bearer"), std::string::npos);
    EXPECT_TRUE(principal.empty());
  }
}

TEST(AccessPolicyTest, WrongTokensGet401WithInvalidToken) {
  AccessPolicy policy(with_tokens({"correct-horse", "battery-staple"}),
                      HostPort{"127.0.0.1", 8765});
  // Same length with the last byte wrong, a prefix, an extension, another token's prefix.
  for (const char* token : {"correct-horsf", "correct-hors", "correct-horse2", "battery",
                            "CORRECT-HORSE", "correct-horse battery-staple"}) {
    std::string principal;
    auto denied = policy.check_auth(
        request_with("localhost", std::nullopt, std::string("Bearer ") + token), principal);
    ASSERT_TRUE(denied) << token;
    EXPECT_EQ(denied->result(), bhttp::status::unauthorized);
    EXPECT_EQ((*denied)[bhttp::field::www_authenticate],
              R"(Bearer realm="shield-mcp", error="invalid_token")");
    EXPECT_EQ(error_message(*denied), "Unauthorized: the bearer token is not valid");
    EXPECT_TRUE(principal.empty());
  }
}

TEST(AccessPolicyTest, EmptyConfiguredTokensNeverMatchButKeepTheNumbering) {
  AccessPolicy policy(with_tokens({"", "real-token"}), HostPort{"127.0.0.1", 8765});
  std::string principal;
  EXPECT_TRUE(policy.check_auth(request_with("localhost", std::nullopt, "Bearer "), principal));
  EXPECT_FALSE(
      policy.check_auth(request_with("localhost", std::nullopt, "Bearer real-token"), principal));
  EXPECT_EQ(principal, "token-2");
}

TEST(AccessPolicyTest, TheSameTokenListedTwiceNamesTheFirst) {
  AccessPolicy policy(with_tokens({"dup", "dup"}), HostPort{"127.0.0.1", 8765});
  std::string principal;
  EXPECT_FALSE(policy.check_auth(request_with("localhost", std::nullopt, "Bearer dup"), principal));
  EXPECT_EQ(principal, "token-1");
}

}  // namespace
}  // namespace shield::http

#include "shield/transport/wire.hpp"

#include <gtest/gtest.h>

namespace shield::transport {
namespace {

using mcp::Json;

const std::vector<std::string> kSessionVersions = {"2025-03-26", "2025-06-18", "2025-11-25"};

Json request(const std::string& method, Json params = Json::object()) {
  return Json{{"jsonrpc", "2.0"}, {"id", 1}, {"method", method}, {"params", std::move(params)}};
}

Json with_meta_version(const std::string& version) {
  return Json{{"_meta", {{"io.modelcontextprotocol/protocolVersion", version}}}};
}

TEST(Wire, ASessionIdAlwaysMeansTheSessionWire) {
  EXPECT_EQ(detect_wire(true, "2026-07-28", request("tools/list", with_meta_version("2026-07-28")),
                        kSessionVersions),
            Wire::kSession);
}

TEST(Wire, InitializeWithoutHeaderIsTheSessionWire) {
  // The SDK client's initialize carries no MCP-Protocol-Version header.
  EXPECT_EQ(detect_wire(false, std::nullopt, request("initialize"), kSessionVersions),
            Wire::kSession);
  EXPECT_EQ(detect_wire(false, "2025-11-25", request("initialize"), kSessionVersions),
            Wire::kSession);
}

TEST(Wire, A2026HeaderIsStatelessEvenForInitialize) {
  // 2026-07-28 removed initialize: it must reach the stateless wire to get 404 / -32601.
  EXPECT_EQ(detect_wire(false, "2026-07-28", request("initialize"), kSessionVersions),
            Wire::kStateless);
  EXPECT_EQ(detect_wire(false, "2026-07-28", request("server/discover"), kSessionVersions),
            Wire::kStateless);
}

TEST(Wire, UnknownHeaderVersionsAreStatelessSoTheyGetTheVersionError) {
  EXPECT_EQ(
      detect_wire(false, "v999.0.0", request("server/discover", with_meta_version("v999.0.0")),
                  kSessionVersions),
      Wire::kStateless);
}

TEST(Wire, WithoutHeaderTheMetaVersionDecides) {
  EXPECT_EQ(detect_wire(false, std::nullopt, request("tools/list", with_meta_version("2026-07-28")),
                        kSessionVersions),
            Wire::kStateless);
  EXPECT_EQ(detect_wire(false, std::nullopt, request("tools/list"), kSessionVersions),
            Wire::kSession);
  EXPECT_EQ(detect_wire(false, std::nullopt, Json::array({request("ping")}), kSessionVersions),
            Wire::kSession);
}

TEST(Wire, MetaProtocolVersionOnlyWhenAString) {
  EXPECT_EQ(meta_protocol_version(request("x", with_meta_version("2026-07-28"))), "2026-07-28");
  EXPECT_FALSE(meta_protocol_version(
                   request("x", Json{{"_meta", {{"io.modelcontextprotocol/protocolVersion", 5}}}}))
                   .has_value());
  EXPECT_FALSE(meta_protocol_version(request("x")).has_value());
  EXPECT_FALSE(meta_protocol_version(Json::array()).has_value());
}

}  // namespace
}  // namespace shield::transport

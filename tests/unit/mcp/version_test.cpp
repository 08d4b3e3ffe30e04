#include "shield/mcp/protocol_version.hpp"

#include <gtest/gtest.h>

#include "shield/mcp/engine.hpp"

namespace shield::mcp {
namespace {

TEST(ProtocolVersion, SupportsFourRevisionsOldestFirst) {
  const std::vector<std::string> expected = {"2025-03-26", "2025-06-18", "2025-11-25",
                                             "2026-07-28"};
  EXPECT_EQ(supported_protocol_versions(), expected);
  EXPECT_EQ(Engine::supported_versions(), expected);
  EXPECT_EQ(latest_protocol_version(), "2026-07-28");
  EXPECT_EQ(Engine::latest_version(), "2026-07-28");
  EXPECT_EQ(latest_session_protocol_version(), "2025-11-25");
}

TEST(ProtocolVersion, NegotiateKeepsASupportedSessionRevision) {
  for (const char* v : {"2025-03-26", "2025-06-18", "2025-11-25"}) {
    EXPECT_EQ(negotiate_protocol_version(v), v);
    EXPECT_EQ(Engine::negotiate(v), v);
  }
}

TEST(ProtocolVersion, NegotiateAnswersTheLatestSessionRevisionOtherwise) {
  // initialize does not exist in 2026-07-28, so a handshake can never settle on it.
  EXPECT_EQ(Engine::negotiate("2026-07-28"), "2025-11-25");
  EXPECT_EQ(Engine::negotiate("2024-11-05"), "2025-11-25");
  EXPECT_EQ(Engine::negotiate("1999-01-01"), "2025-11-25");
  EXPECT_EQ(Engine::negotiate(""), "2025-11-25");
  EXPECT_EQ(Engine::negotiate("v999.0.0"), "2025-11-25");
}

TEST(ProtocolVersion, StatelessFrom20260728) {
  EXPECT_TRUE(Engine::is_stateless("2026-07-28"));
  EXPECT_TRUE(is_stateless_protocol_version("2027-01-01"));
  EXPECT_FALSE(Engine::is_stateless("2025-11-25"));
  EXPECT_FALSE(Engine::is_stateless("2025-03-26"));
  EXPECT_FALSE(Engine::is_stateless(""));
  EXPECT_FALSE(Engine::is_stateless("v999.0.0"));
  EXPECT_FALSE(Engine::is_stateless("abcdefghij"));
}

TEST(ProtocolVersion, SupportedIsExact) {
  EXPECT_TRUE(is_supported_protocol_version("2025-06-18"));
  EXPECT_FALSE(is_supported_protocol_version("2025-06-19"));
  EXPECT_FALSE(is_supported_protocol_version("2027-01-01"));
}

TEST(ProtocolVersion, FeatureGates) {
  EXPECT_FALSE(has_titles_and_structured_output("2025-03-26"));
  EXPECT_TRUE(has_titles_and_structured_output("2025-06-18"));
  EXPECT_TRUE(has_titles_and_structured_output("2026-07-28"));
  EXPECT_FALSE(has_tool_execution("2025-06-18"));
  EXPECT_TRUE(has_tool_execution("2025-11-25"));
}

}  // namespace
}  // namespace shield::mcp

#include "shield/tools/point_id.hpp"

#include <regex>

#include <gtest/gtest.h>
#include <boost/uuid/nil_generator.hpp>
#include <boost/uuid/string_generator.hpp>

namespace shield::tools {
namespace {

boost::uuids::uuid parse(const char* text) {
  return boost::uuids::string_generator()(text);
}

TEST(UuidV5, MatchesTheKnownAnswerForTheDnsNamespace) {
  // RFC 4122 DNS namespace; uuid5(NAMESPACE_DNS, "python.org") as Python's uuid module gives it.
  EXPECT_EQ(uuid_v5(parse("6ba7b810-9dad-11d1-80b4-00c04fd430c8"), "python.org"),
            "886313e1-3b8a-5372-9b90-0c9aee199e5d");
}

TEST(UuidV5, HasVersion5AndTheRfcVariant) {
  const std::string id = uuid_v5(boost::uuids::nil_uuid(), "anything");
  EXPECT_TRUE(std::regex_match(
      id, std::regex("[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")))
      << id;
}

TEST(PointId, IsStableForTheSameCollectionAndText) {
  EXPECT_EQ(point_id("docs", "A circuit breaker opens after 5 failures."),
            point_id("docs", "A circuit breaker opens after 5 failures."));
}

TEST(PointId, ChangesWithTheCollectionOrTheText) {
  const std::string base = point_id("docs", "text");
  EXPECT_NE(base, point_id("docs2", "text"));
  EXPECT_NE(base, point_id("docs", "text."));
  // The separator keeps the two parts apart.
  EXPECT_NE(point_id("ab", "c"), point_id("a", "bc"));
}

TEST(PointId, IsTheUuidV5OfCollectionNewlineTextInTheProjectNamespace) {
  EXPECT_EQ(point_id("kb", "hello"),
            uuid_v5(parse(std::string(kPointIdNamespace).c_str()), "kb\nhello"));
}

}  // namespace
}  // namespace shield::tools

#include "shield/tools/metadata_filter.hpp"

#include <string>

#include <gtest/gtest.h>

namespace shield::tools {
namespace {

using Json = nlohmann::json;

std::string problem(const char* filter) {
  const auto result = validate_metadata_filter(Json::parse(filter));
  if (result) return "accepted";
  EXPECT_EQ(result.error().code, ErrorCode::kInvalidArgument);
  return result.error().message;
}

TEST(MetadataFilter, AcceptsMatchAndRangeConditionsOnMetadata) {
  for (const char* good : {
           R"({"must":[{"key":"metadata.lang","match":{"value":"en"}}]})",
           R"({"must":{"key":"metadata.lang","match":{"value":"en"}}})",
           R"({"should":[{"key":"metadata.tags[]","match":{"any":["a","b"]}},
                         {"key":"metadata.year","range":{"gte":2020,"lt":2025.5}}]})",
           R"({"must_not":[{"key":"metadata.source.host","match":{"except":[1,2,3]}}]})",
           R"({"must":[{"key":"metadata.draft","match":{"value":false}},
                       {"key":"metadata.title","match":{"text":"breaker"}}]})",
           R"({"should":[{"must":[{"key":"metadata.a","match":{"value":1}}]},
                         {"must":[{"key":"metadata.b-c_d","match":{"value":2}}]}]})",
       }) {
    EXPECT_EQ(problem(good), "accepted") << good;
  }
}

TEST(MetadataFilter, RefusesKeysOutsideMetadata) {
  EXPECT_EQ(problem(R"({"must":[{"key":"document","match":{"text":"x"}}]})"),
            "filter.must[0].key: 'document' is not a metadata key; filters apply to the metadata "
            "stored with each entry, e.g. 'metadata.document'");
  EXPECT_NE(
      problem(R"({"must":[{"key":"metadata.","match":{"value":1}}]})").find("needs a field name"),
      std::string::npos);
  EXPECT_NE(
      problem(R"({"must":[{"key":"metadata.a..b","match":{"value":1}}]})").find("empty field name"),
      std::string::npos);
  EXPECT_NE(
      problem(R"({"must":[{"key":"metadata.a b","match":{"value":1}}]})").find("contains ' '"),
      std::string::npos);
  EXPECT_NE(
      problem(R"({"must":[{"key":"metadata.a.","match":{"value":1}}]})").find("ends with a dot"),
      std::string::npos);
  EXPECT_NE(problem(R"({"must":[{"key":7,"match":{"value":1}}]})")
                .find("filter.must[0].key: expected a string"),
            std::string::npos);
}

TEST(MetadataFilter, RefusesOtherClausesAndConditionKinds) {
  EXPECT_NE(problem(R"({"min_should":{"conditions":[],"min_count":1}})")
                .find("'min_should' is not allowed"),
            std::string::npos);
  EXPECT_NE(problem(R"({"must":[{"has_id":[1,2]}]})").find("'has_id' is not allowed"),
            std::string::npos);
  EXPECT_NE(
      problem(R"({"must":[{"key":"metadata.a","is_empty":{}}]})").find("'is_empty' is not allowed"),
      std::string::npos);
  EXPECT_NE(problem(R"({"must":[{"key":"metadata.a","match":{"value":1},"range":{"gt":1}}]})")
                .find("exactly one of match or range"),
            std::string::npos);
  EXPECT_NE(problem(R"({"must":[{"key":"metadata.a"}]})").find("exactly one of match or range"),
            std::string::npos);
}

TEST(MetadataFilter, RefusesMalformedMatchesAndRanges) {
  EXPECT_NE(problem(R"({"must":[{"key":"metadata.a","match":{"value":1.5}}]})")
                .find("filter.must[0].match.value: expected a string, integer or boolean"),
            std::string::npos);
  EXPECT_NE(
      problem(R"({"must":[{"key":"metadata.a","match":{"any":[]}}]})").find("a list of 1 to 256"),
      std::string::npos);
  EXPECT_NE(problem(R"({"must":[{"key":"metadata.a","match":{"any":["x",1]}}]})")
                .find("only strings or only integers"),
            std::string::npos);
  EXPECT_NE(problem(R"({"must":[{"key":"metadata.a","match":{"value":1,"any":[1]}}]})")
                .find("exactly one of"),
            std::string::npos);
  EXPECT_NE(problem(R"({"must":[{"key":"metadata.a","match":{"phrase":"x"}}]})")
                .find("'phrase' is not allowed"),
            std::string::npos);
  EXPECT_NE(problem(R"({"must":[{"key":"metadata.a","range":{"gt":"2020"}}]})")
                .find("filter.must[0].range.gt: expected a number"),
            std::string::npos);
  EXPECT_NE(problem(R"({"must":[{"key":"metadata.a","range":{"from":1}}]})")
                .find("'from' is not allowed"),
            std::string::npos);
  EXPECT_NE(problem(R"({"must":[{"key":"metadata.a","range":{}}]})").find("gt, gte, lt and/or lte"),
            std::string::npos);
}

TEST(MetadataFilter, RefusesEmptyOrOversizedFilters) {
  EXPECT_NE(problem("{}").find("an empty filter"), std::string::npos);
  EXPECT_NE(problem("[]").find("expected an object"), std::string::npos);
  EXPECT_NE(problem(R"({"must":[]})").find("filter.must: an empty list"), std::string::npos);
  EXPECT_NE(problem(R"({"must":"x"})").find("expected a condition object"), std::string::npos);

  Json many = Json::array();
  for (int i = 0; i < 65; ++i) many.push_back({{"key", "metadata.a"}, {"match", {{"value", i}}}});
  const auto too_many = validate_metadata_filter(Json{{"must", many}});
  ASSERT_FALSE(too_many);
  EXPECT_NE(too_many.error().message.find("65 conditions; at most 64"), std::string::npos);

  // 101 conditions spread over two clauses still exceed the total bound.
  Json fifty = Json::array();
  for (int i = 0; i < 50; ++i) fifty.push_back({{"key", "metadata.a"}, {"match", {{"value", i}}}});
  Json spread{{"must", fifty},
              {"should", fifty},
              {"must_not", {{"key", "metadata.b"}, {"match", {{"value", 1}}}}}};
  const auto total = validate_metadata_filter(spread);
  ASSERT_FALSE(total);
  EXPECT_NE(total.error().message.find("more than 100 conditions"), std::string::npos);
}

TEST(MetadataFilter, RefusesNestingDeeperThanThreeLevels) {
  const char* three =
      R"({"must":[{"should":[{"must":[{"key":"metadata.a","match":{"value":1}}]}]}]})";
  EXPECT_EQ(problem(three), "accepted");
  const char* four =
      R"({"must":[{"should":[{"must":[{"must_not":[{"key":"metadata.a","match":{"value":1}}]}]}]}]})";
  EXPECT_NE(problem(four).find("at most 3 levels"), std::string::npos);
}

}  // namespace
}  // namespace shield::tools

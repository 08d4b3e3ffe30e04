#include "shield/transport/media_types.hpp"

#include <gtest/gtest.h>

namespace shield::transport {
namespace {

TEST(MediaTypes, TrimsOptionalWhitespaceOnly) {
  EXPECT_EQ(trim_ows("  \tabc d \t"), "abc d");
  EXPECT_EQ(trim_ows(""), "");
  EXPECT_EQ(trim_ows(" \t "), "");
}

TEST(MediaTypes, AcceptListingBothTypesAllowsBoth) {
  for (const char* accept :
       {"application/json, text/event-stream", "text/event-stream, application/json",
        "application/json,text/event-stream",
        "Application/JSON; charset=utf-8 , TEXT/Event-Stream"}) {
    EXPECT_TRUE(accept_allows(accept, "application/json")) << accept;
    EXPECT_TRUE(accept_allows(accept, "text/event-stream")) << accept;
  }
}

TEST(MediaTypes, AcceptListingOneTypeRefusesTheOther) {
  EXPECT_TRUE(accept_allows("application/json", "application/json"));
  EXPECT_FALSE(accept_allows("application/json", "text/event-stream"));
  EXPECT_FALSE(accept_allows("text/event-stream", "application/json"));
  EXPECT_FALSE(accept_allows("text/html, application/xml", "application/json"));
  EXPECT_FALSE(accept_allows("", "application/json"));
  // A longer type that merely starts with the wanted one is a different type.
  EXPECT_FALSE(accept_allows("application/jsonl", "application/json"));
}

TEST(MediaTypes, WildcardsAllow) {
  EXPECT_TRUE(accept_allows("*/*", "application/json"));
  EXPECT_TRUE(accept_allows("*/*", "text/event-stream"));
  EXPECT_TRUE(accept_allows("text/*", "text/event-stream"));
  EXPECT_FALSE(accept_allows("text/*", "application/json"));
  EXPECT_TRUE(accept_allows("application/*;q=0.5", "application/json"));
}

TEST(MediaTypes, QualityZeroRefusesAndTheMostSpecificRangeDecides) {
  EXPECT_FALSE(accept_allows("application/json;q=0", "application/json"));
  EXPECT_FALSE(accept_allows("application/json; q=0.000", "application/json"));
  EXPECT_TRUE(accept_allows("application/json;q=0.001", "application/json"));
  EXPECT_FALSE(accept_allows("*/*, application/json;q=0", "application/json"));
  EXPECT_TRUE(accept_allows("*/*;q=0, application/json", "application/json"));
  EXPECT_FALSE(accept_allows("*/*;q=0, application/json", "text/event-stream"));
}

TEST(MediaTypes, RecognisesJsonContentType) {
  EXPECT_TRUE(is_json_media_type("application/json"));
  EXPECT_TRUE(is_json_media_type("application/json; charset=utf-8"));
  EXPECT_TRUE(is_json_media_type(" Application/JSON "));
  EXPECT_FALSE(is_json_media_type("text/json"));
  EXPECT_FALSE(is_json_media_type("application/json-patch+json"));
  EXPECT_FALSE(is_json_media_type("text/plain"));
  EXPECT_FALSE(is_json_media_type(""));
}

}  // namespace
}  // namespace shield::transport

#include "shield/util/rfc3339.hpp"

#include <gtest/gtest.h>

namespace shield {
namespace {

TEST(Rfc3339, FormatsUtcWithMilliseconds) {
  EXPECT_EQ(format_rfc3339_utc(0), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(format_rfc3339_utc(1'748'772'900'123), "2025-06-01T10:15:00.123Z");
  // Before 1970 the time rounds down instead of printing a negative millisecond field.
  EXPECT_EQ(format_rfc3339_utc(-1), "1969-12-31T23:59:59.999Z");
}

TEST(Rfc3339, AcceptsValidDateTimes) {
  EXPECT_TRUE(is_rfc3339("2025-06-01T10:15:00Z"));
  EXPECT_TRUE(is_rfc3339("2025-06-01T10:15:00.123456z"));
  EXPECT_TRUE(is_rfc3339("2024-02-29T23:59:59+05:30"));
  EXPECT_TRUE(is_rfc3339("2025-06-01 10:15:00-00:00"));
  EXPECT_TRUE(is_rfc3339(format_rfc3339_utc(1'748'772'900'123)));
}

TEST(Rfc3339, RefusesWhatIsNotOne) {
  EXPECT_FALSE(is_rfc3339(""));
  EXPECT_FALSE(is_rfc3339("2025-06-01"));
  EXPECT_FALSE(is_rfc3339("2025-06-01T10:15:00"));       // no zone
  EXPECT_FALSE(is_rfc3339("2023-02-29T10:15:00Z"));      // not a leap year
  EXPECT_FALSE(is_rfc3339("2025-13-01T10:15:00Z"));      // month
  EXPECT_FALSE(is_rfc3339("2025-06-01T24:00:00Z"));      // hour
  EXPECT_FALSE(is_rfc3339("2025-06-01T23:59:60Z"));      // leap second
  EXPECT_FALSE(is_rfc3339("2025-06-01T10:15:00.Z"));     // empty fraction
  EXPECT_FALSE(is_rfc3339("2025-06-01T10:15:00+5:30"));  // short offset
  EXPECT_FALSE(is_rfc3339("2025-06-01T10:15:00Zjunk"));
}

}  // namespace
}  // namespace shield

#include "shield/mcp/cursor.hpp"

#include <cctype>

#include <gtest/gtest.h>

namespace shield::mcp {
namespace {

TEST(Cursor, RoundTripsAnOffset) {
  for (std::size_t offset : {0u, 1u, 2u, 49u, 123456u}) {
    const std::string cursor = encode_cursor("tools", offset);
    EXPECT_EQ(decode_cursor("tools", cursor), offset) << cursor;
  }
}

TEST(Cursor, IsOpaque) {
  const std::string cursor = encode_cursor("tools", 2);
  EXPECT_EQ(cursor.find("tools"), std::string::npos);
  for (char c : cursor) {
    EXPECT_TRUE(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_') << cursor;
  }
}

TEST(Cursor, BelongsToOneList) {
  const std::string cursor = encode_cursor("prompts", 2);
  EXPECT_FALSE(decode_cursor("tools", cursor));
  EXPECT_FALSE(decode_cursor("prompt", cursor));
  EXPECT_EQ(decode_cursor("prompts", cursor), 2u);
}

TEST(Cursor, RefusesMadeUpValues) {
  EXPECT_FALSE(decode_cursor("tools", ""));
  EXPECT_FALSE(decode_cursor("tools", "garbage!"));
  EXPECT_FALSE(decode_cursor("tools", "dG9vbHM6Mg"));  // base64url("tools:2"): no version tag
  EXPECT_FALSE(decode_cursor("tools", "2"));
}

}  // namespace
}  // namespace shield::mcp

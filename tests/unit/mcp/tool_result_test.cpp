#include <gtest/gtest.h>

#include "shield/mcp/tool.hpp"

namespace shield::mcp {
namespace {

TEST(ToolResult, FirstTextIsTheFirstTextBlock) {
  ToolResult result;
  EXPECT_EQ(result.first_text(), "");
  result.content = Json::array({Json{{"type", "image"}, {"data", "x"}, {"mimeType", "image/png"}},
                                Json{{"type", "text"}, {"text", "first"}},
                                Json{{"type", "text"}, {"text", "second"}}});
  EXPECT_EQ(result.first_text(), "first");
  EXPECT_EQ(ToolResult::error("bad", "what went wrong").first_text(), "what went wrong");
  result.content = Json::object();  // not an array: nothing to read
  EXPECT_EQ(result.first_text(), "");
}

}  // namespace
}  // namespace shield::mcp

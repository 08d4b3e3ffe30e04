// The tools' input schemas, as the engine applies them before a handler runs: strict
// (no unknown properties) and bounded.
#include <string>

#include <gtest/gtest.h>

#include "unit/tools/tool_test_support.hpp"

namespace shield::tools {
namespace {

using mcp::Json;

class ToolArguments : public testing::ToolFixture {
 protected:
  void SetUp() override { registry_ = registered(); }

  // "" when `arguments` passes the tool's input schema, else the violation.
  std::string check(const std::string& tool, const char* arguments) {
    const auto* schemas = registry_.tool_schemas(tool);
    if (schemas == nullptr) return "no such tool";
    const auto violation = schemas->input->validate(Json::parse(arguments));
    return violation ? violation->to_string() : "";
  }

  mcp::Registry registry_;
};

TEST_F(ToolArguments, StoreAcceptsOneEntryOrABatch) {
  EXPECT_EQ(check("qdrant_store", R"({"text":"hello"})"), "");
  EXPECT_EQ(check("qdrant_store", R"({"text":"hello","metadata":{"lang":"en","n":[1,2]}})"), "");
  EXPECT_EQ(check("qdrant_store", R"({"entries":[{"text":"a"},{"text":"b","metadata":{}}],
                                     "collection":"other"})"),
            "");
}

TEST_F(ToolArguments, StoreRefusesUnknownEmptyAndOversizedInput) {
  EXPECT_NE(check("qdrant_store", R"({"text":"a","wait":false})"), "");
  EXPECT_NE(check("qdrant_store", R"({"text":""})"), "");
  EXPECT_NE(check("qdrant_store", R"({"text":"a","metadata":"lang=en"})"), "");
  EXPECT_NE(check("qdrant_store", R"({"entries":[]})"), "");
  EXPECT_NE(check("qdrant_store", R"({"entries":[{"text":"a","id":1}]})"), "");
  EXPECT_NE(check("qdrant_store", R"({"entries":[{"metadata":{}}]})"), "");
  EXPECT_NE(check("qdrant_store", R"({"text":"a","collection":""})"), "");
  Json many = Json::array();
  for (int i = 0; i < 1001; ++i) many.push_back({{"text", "t"}});
  const auto* schemas = registry_.tool_schemas("qdrant_store");
  ASSERT_NE(schemas, nullptr);
  EXPECT_TRUE(schemas->input->validate(Json{{"entries", many}}).has_value());
  many.erase(many.begin());
  EXPECT_FALSE(schemas->input->validate(Json{{"entries", many}}).has_value());
}

TEST_F(ToolArguments, FindBoundsLimitOffsetAndNeedsAQuery) {
  EXPECT_EQ(check("qdrant_find", R"({"query":"circuit breaker"})"), "");
  EXPECT_EQ(check("qdrant_find", R"({"query":"q","limit":100,"offset":20,"score_threshold":0.3,
                                    "filter":{"must":[]},"collection":"kb"})"),
            "");
  EXPECT_NE(check("qdrant_find", R"({})"), "");
  EXPECT_NE(check("qdrant_find", R"({"query":""})"), "");
  EXPECT_NE(check("qdrant_find", R"({"query":"q","limit":0})"), "");
  EXPECT_NE(check("qdrant_find", R"({"query":"q","limit":101})"), "");
  EXPECT_NE(check("qdrant_find", R"({"query":"q","limit":2.5})"), "");
  EXPECT_NE(check("qdrant_find", R"({"query":"q","offset":-1})"), "");
  EXPECT_NE(check("qdrant_find", R"({"query":"q","score_threshold":"high"})"), "");
  EXPECT_NE(check("qdrant_find", R"({"query":"q","filter":"lang=en"})"), "");
  EXPECT_NE(check("qdrant_find", R"({"query":"q","with_vectors":true})"), "");
}

TEST_F(ToolArguments, LightragQueryChecksModeTopKAndHistory) {
  EXPECT_EQ(check("lightrag_query", R"({"query":"q"})"), "");
  EXPECT_EQ(check("lightrag_query", R"({"query":"q","mode":"bypass","top_k":1000,
      "only_need_context":true,"response_type":"Bullet Points",
      "conversation_history":[{"role":"user","content":"hi"},{"role":"assistant","content":""}]})"),
            "");
  EXPECT_NE(check("lightrag_query", R"({"query":"   "})"), "");
  EXPECT_NE(check("lightrag_query", R"({"query":"q","mode":"deep"})"), "");
  EXPECT_NE(check("lightrag_query", R"({"query":"q","top_k":0})"), "");
  EXPECT_NE(check("lightrag_query", R"({"query":"q","top_k":1001})"), "");
  EXPECT_NE(check("lightrag_query", R"({"query":"q","response_type":""})"), "");
  EXPECT_NE(check("lightrag_query",
                  R"({"query":"q","conversation_history":[{"role":"robot","content":"x"}]})"),
            "");
  EXPECT_NE(check("lightrag_query", R"({"query":"q","conversation_history":[{"role":"user"}]})"),
            "");
  EXPECT_NE(
      check("lightrag_query",
            R"({"query":"q","conversation_history":[{"role":"user","content":"x","name":"a"}]})"),
      "");
  EXPECT_NE(check("lightrag_query", R"({"query":"q","stream":true})"), "");
}

}  // namespace
}  // namespace shield::tools

// Shaping of tool results: what structuredContent and the text block hold, and that the
// shapes satisfy each tool's declared outputSchema.
#include <string>

#include <gtest/gtest.h>

#include "shield/mcp/schema_validator.hpp"
#include "shield/tools/backend_failure.hpp"
#include "shield/tools/lightrag_query.hpp"
#include "shield/tools/qdrant_find.hpp"
#include "shield/tools/qdrant_store.hpp"
#include "unit/tools/tool_test_support.hpp"

namespace shield::tools {
namespace {

using mcp::Json;

class ToolResults : public testing::ToolFixture {
 protected:
  void SetUp() override { registry_ = registered(); }
  std::string violation(const std::string& tool, const Json& structured) {
    const auto found = registry_.tool_schemas(tool)->output->validate(structured);
    return found ? found->to_string() : "";
  }
  mcp::Registry registry_;
};

std::vector<backend::ScoredPoint> sample_hits() {
  backend::ScoredPoint ours;
  ours.id = "886313e1-3b8a-5372-9b90-0c9aee199e5d";
  ours.score = 0.8125;
  ours.payload = Json{{"document", "A circuit breaker opens after 5 failures."},
                      {"metadata", {{"source", "guide.md"}}}};
  backend::ScoredPoint foreign;
  foreign.id = 17;
  foreign.score = 0.25;
  foreign.payload = Json{{"text", "pasta recipe"}, {"lang", "it"}};
  return {ours, foreign};
}

TEST_F(ToolResults, FindShapesOurAndForeignPayloads) {
  const Json result = find_result("kb", sample_hits());
  EXPECT_EQ(result, Json::parse(R"({"collection":"kb","results":[
      {"id":"886313e1-3b8a-5372-9b90-0c9aee199e5d","score":0.8125,
       "document":"A circuit breaker opens after 5 failures.","metadata":{"source":"guide.md"}},
      {"id":17,"score":0.25,"document":"pasta recipe","metadata":{"lang":"it"}}]})"));
  EXPECT_EQ(violation("qdrant_find", result), "");
}

TEST_F(ToolResults, FindTextListsRankScoreIdDocumentAndMetadata) {
  const std::string text = find_result_text(find_result("kb", sample_hits()));
  EXPECT_EQ(text,
            "2 results from collection 'kb':\n"
            "\n1. score 0.8125, id 886313e1-3b8a-5372-9b90-0c9aee199e5d\n"
            "A circuit breaker opens after 5 failures.\n"
            "metadata: {\"source\":\"guide.md\"}\n"
            "\n2. score 0.2500, id 17\npasta recipe\nmetadata: {\"lang\":\"it\"}\n");
}

TEST_F(ToolResults, AnEmptyFindSaysSoAndCarriesItsNote) {
  const Json plain = find_result("kb", {});
  EXPECT_EQ(find_result_text(plain), "No results in collection 'kb'.");
  const Json noted = find_result("kb", {}, std::string("Collection 'kb' does not exist yet."));
  EXPECT_EQ(noted["note"], "Collection 'kb' does not exist yet.");
  EXPECT_EQ(find_result_text(noted), "Collection 'kb' does not exist yet.");
  EXPECT_EQ(violation("qdrant_find", noted), "");
}

TEST_F(ToolResults, LightragKeepsReferencesAndTitles) {
  backend::LightragAnswer answer;
  answer.response = "It opens after five failures [1].";
  answer.references = {{"1", "https://docs/breakers", std::string("Circuit breakers")},
                       {"2", "notes.md", std::nullopt}};
  const Json result = lightrag_result(answer, "mix", backend::LightragRoute::kDirect);
  EXPECT_EQ(result, Json::parse(R"({"answer":"It opens after five failures [1].",
      "references":[{"reference_id":"1","file_path":"https://docs/breakers","title":"Circuit breakers"},
                    {"reference_id":"2","file_path":"notes.md"}],
      "mode":"mix","route":"direct"})"));
  EXPECT_EQ(violation("lightrag_query", result), "");
  EXPECT_EQ(lightrag_result_text(result),
            "It opens after five failures [1].\n\nReferences:\n[1] Circuit breakers — "
            "https://docs/breakers\n[2] notes.md");
}

TEST_F(ToolResults, LightragRequestTakesTheDefaultModeAndEveryField) {
  const auto plain = lightrag_request(Json{{"query", "q"}});
  EXPECT_EQ(plain.mode, "mix");
  EXPECT_FALSE(plain.top_k.has_value());
  const auto full = lightrag_request(Json::parse(R"({"query":"q","mode":"local","top_k":7,
      "only_need_context":true,"response_type":"Bullet Points",
      "conversation_history":[{"role":"user","content":"hi"}]})"));
  EXPECT_EQ(full.mode, "local");
  EXPECT_EQ(full.top_k, 7);
  EXPECT_EQ(full.only_need_context, true);
  EXPECT_EQ(full.response_type, "Bullet Points");
  ASSERT_EQ(full.conversation_history.size(), 1U);
  EXPECT_EQ(full.conversation_history[0].role, "user");
}

TEST(StoreEntries, OneEntryOrABatch) {
  auto one = store_entries(Json{{"text", "a"}, {"metadata", {{"k", 1}}}});
  ASSERT_TRUE(one);
  ASSERT_EQ(one->size(), 1U);
  EXPECT_EQ((*one)[0].metadata, Json({{"k", 1}}));

  auto bare = store_entries(Json{{"text", "a"}});
  ASSERT_TRUE(bare);
  EXPECT_EQ((*bare)[0].metadata, Json::object());

  auto batch = store_entries(
      Json::parse(R"({"entries":[{"text":"a"},{"text":"b","metadata":{"x":true}}]})"));
  ASSERT_TRUE(batch);
  ASSERT_EQ(batch->size(), 2U);
  EXPECT_EQ((*batch)[1].text, "b");
  EXPECT_EQ((*batch)[1].metadata["x"], true);
}

TEST(StoreEntries, RefusesMixedOrMissingInput) {
  for (const char* bad : {R"({})", R"({"text":"a","entries":[{"text":"b"}]})",
                          R"({"entries":[{"text":"a"}],"metadata":{}})", R"({"text":""})",
                          R"({"entries":[]})", R"({"entries":[{"text":"a"},{"text":7}]})"}) {
    const auto result = store_entries(Json::parse(bad));
    ASSERT_FALSE(result) << bad;
    EXPECT_EQ(testing::error_code(result.error()), "invalid_arguments") << bad;
  }
}

TEST(BackendFailure, CarriesTheIssueShape) {
  backend::BackendError error;
  error.code = backend::BackendErrorCode::kUnavailable;
  error.backend = "qdrant";
  error.message =
      "Qdrant at http://127.0.0.1:6333 is unavailable (5 consecutive failures, last: connection "
      "refused); retrying in 42 s";
  error.detail = "5 consecutive failures, last: connection refused";
  error.retry_after_s = 42;
  const mcp::ToolResult result = backend_failure(error);
  EXPECT_TRUE(result.is_error);
  EXPECT_EQ(result.structured, Json::parse(R"({"error":{"code":"backend_unavailable",
      "backend":"qdrant","retry_after_s":42,
      "detail":"5 consecutive failures, last: connection refused",
      "message":"Qdrant at http://127.0.0.1:6333 is unavailable (5 consecutive failures, last: connection refused); retrying in 42 s"}})"));
  EXPECT_EQ(
      result.content,
      Json::parse(
          R"([{"type":"text","text":"Qdrant at http://127.0.0.1:6333 is unavailable (5 consecutive failures, last: connection refused); retrying in 42 s"}])"));
}

}  // namespace
}  // namespace shield::tools

namespace shield::tools {
namespace {

class ToolOutputSchemas : public testing::ToolFixture {};

// Clients check error results against the outputSchema too, so every tool's schema must
// admit {error: {...}} as well as its success shape, and nothing else.
TEST_F(ToolOutputSchemas, AdmitSuccessAndErrorShapesOnly) {
  const mcp::Registry registry = registered();
  backend::BackendError down;
  down.code = backend::BackendErrorCode::kUnavailable;
  down.backend = "qdrant";
  down.message = "Qdrant is unavailable";
  down.detail = "connection refused";
  const Json backend_error = *backend_failure(down).structured;
  const Json tool_error = *mcp::ToolResult::error("invalid_filter", "filter.must: bad").structured;
  for (const char* tool : {"qdrant_find", "qdrant_store", "lightrag_query"}) {
    const auto& output = registry.tool_schemas(tool)->output;
    ASSERT_NE(output, nullptr) << tool;
    EXPECT_FALSE(output->validate(backend_error).has_value()) << tool;
    EXPECT_FALSE(output->validate(tool_error).has_value()) << tool;
    EXPECT_TRUE(output->validate(Json::object()).has_value()) << tool;
    EXPECT_TRUE(output->validate(Json{{"error", {{"code", "x"}}}}).has_value())
        << tool << ": message is required";
    EXPECT_TRUE(output->validate(Json{{"surprise", 1}}).has_value()) << tool;
  }
  EXPECT_FALSE(registry.tool_schemas("qdrant_store")
                   ->output
                   ->validate(Json::parse(R"({"collection":"kb","ids":["a"],"received":1,"stored":1,
                       "created_collection":false,"dimensions":4,"model":"m"})"))
                   .has_value());
}

}  // namespace
}  // namespace shield::tools

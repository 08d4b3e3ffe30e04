// Handler paths decided before (or by) the first backend call: argument checks that need
// the configuration, refusals, and how a backend failure is reported. The backends here
// point at a closed loopback port, so any call that does go out is refused at once.
#include <string>

#include <gtest/gtest.h>

#include "shield/tools/qdrant_find.hpp"
#include "unit/tools/tool_test_support.hpp"

namespace shield::tools {
namespace {

using mcp::Json;
using testing::error_code;

class ToolHandlers : public testing::ToolFixture {};

TEST_F(ToolHandlers, StoreNeedsTextOrEntriesButNotBoth) {
  const auto registry = registered();
  const auto both = call(registry, "qdrant_store", {{"text", "a"}, {"entries", {{{"text", "b"}}}}});
  EXPECT_EQ(error_code(both), "invalid_arguments");
  const auto neither = call(registry, "qdrant_store", {{"metadata", Json::object()}});
  EXPECT_EQ(error_code(neither), "invalid_arguments");
  EXPECT_TRUE(embedder_.calls.empty());
}

TEST_F(ToolHandlers, FiltersCanBeSwitchedOffByConfig) {
  config_.qdrant.allow_arbitrary_filters = false;
  const auto registry = registered();
  const auto result =
      call(registry, "qdrant_find",
           {{"query", "q"},
            {"filter", Json::parse(R"({"must":[{"key":"metadata.a","match":{"value":1}}]})")}});
  EXPECT_EQ(error_code(result), "filter_not_allowed");
  EXPECT_NE(result.structured->at("error")["message"].get<std::string>().find(
                "allow_arbitrary_filters = false"),
            std::string::npos);
  EXPECT_TRUE(embedder_.calls.empty());
}

TEST_F(ToolHandlers, AFilterOutsideMetadataIsRefusedWithItsPath) {
  const auto registry = registered();
  const auto result =
      call(registry, "qdrant_find",
           {{"query", "q"},
            {"filter", Json::parse(R"({"must":[{"key":"document","match":{"text":"x"}}]})")}});
  EXPECT_EQ(error_code(result), "invalid_filter");
  EXPECT_EQ(result.content.at(0)["text"].get<std::string>().rfind("filter.must[0].key: ", 0), 0U);
  EXPECT_TRUE(embedder_.calls.empty());
}

TEST_F(ToolHandlers, ALockedCollectionCannotBeChanged) {
  config_.qdrant.collection = "team-kb";
  config_.qdrant.collection_locked = true;
  const auto registry = registered();
  const auto find = call(registry, "qdrant_find", {{"query", "q"}, {"collection", "other"}});
  EXPECT_EQ(error_code(find), "collection_locked");
  EXPECT_EQ(find.structured->at("error")["collection"], "team-kb");
  const auto store = call(registry, "qdrant_store", {{"text", "t"}, {"collection", "other"}});
  EXPECT_EQ(error_code(store), "collection_locked");
  EXPECT_TRUE(embedder_.calls.empty());
}

TEST_F(ToolHandlers, AnInvalidCollectionNameIsRefusedBeforeAnyCall) {
  const auto registry = registered();
  const auto result = call(registry, "qdrant_find", {{"query", "q"}, {"collection", "a/b"}});
  EXPECT_EQ(error_code(result), "invalid_arguments");
  EXPECT_NE(result.content.at(0)["text"].get<std::string>().find("contains '/'"),
            std::string::npos);
}

TEST_F(ToolHandlers, AnUnreachableQdrantIsBackendUnavailableWithTheErrorShape) {
  const auto registry = registered();
  const auto result = call(registry, "qdrant_find", {{"query", "circuit breaker"}});
  ASSERT_TRUE(result.is_error);
  const Json& error = result.structured->at("error");
  EXPECT_EQ(error["code"], "backend_unavailable");
  EXPECT_EQ(error["backend"], "qdrant");
  EXPECT_TRUE(error.contains("retry_after_s"));
  EXPECT_TRUE(error["detail"].is_string());
  EXPECT_FALSE(error["detail"].get<std::string>().empty());
  EXPECT_NE(error["message"].get<std::string>().find("Qdrant"), std::string::npos) << error;
  EXPECT_EQ(result.content.at(0)["text"], error["message"]);
}

TEST_F(ToolHandlers, AnEmbedderFailureIsReportedAsTheEmbeddersError) {
  backend::BackendError failure;
  failure.code = backend::BackendErrorCode::kRejected;
  failure.backend = "embedder";
  failure.message =
      "embedding model 'nomic-embed-text' is not available on Ollama at http://o:11434; pull it "
      "with `ollama pull nomic-embed-text`";
  failure.detail = "model not found";
  failure.http_status = 404;
  embedder_.failure = failure;
  const auto registry = registered();
  const auto result = call(registry, "qdrant_store", {{"text", "t"}});
  ASSERT_TRUE(result.is_error);
  const Json& error = result.structured->at("error");
  EXPECT_EQ(error["code"], "backend_rejected");
  EXPECT_EQ(error["backend"], "embedder");
  EXPECT_EQ(error["message"], failure.message);
  EXPECT_EQ(error["retry_after_s"], nullptr);
  EXPECT_EQ(error["http_status"], 404);
}

TEST_F(ToolHandlers, AnUnreachableOrchestratorNamesTheOrchestrator) {
  const auto registry = registered();
  const auto result = call(registry, "lightrag_query", {{"query", "q"}});
  EXPECT_EQ(error_code(result), "backend_unavailable");
  EXPECT_EQ(result.structured->at("error")["backend"], "orchestrator");
}

TEST_F(ToolHandlers, ACancelledStoreStopsBeforeCallingAnything) {
  const auto registry = registered();
  CancellationSource source;
  source.cancel("client went away");
  const auto result = call(registry, "qdrant_store", {{"text", "t"}}, source.token());
  EXPECT_EQ(error_code(result), "cancelled");
  EXPECT_TRUE(embedder_.calls.empty());
}

}  // namespace
}  // namespace shield::tools

#include "shield/backend/openai_embedder.hpp"

#include <string>

#include <gtest/gtest.h>

#include "unit/backend/client_test_support.hpp"

namespace shield::backend {
namespace {

using testing::body_of;
using testing::Reply;

EmbedderSettings openai_settings() {
  EmbedderSettings settings;
  settings.provider = EmbeddingProvider::kOpenAi;
  settings.model = "text-embedding-3-small";
  settings.keep_alive = "5m";  // Ollama-only: must not leak into OpenAI requests
  return settings;
}

TEST(OpenAiEmbedderBody, AsksForFloatsAndOnlyTheDocumentedFields) {
  EXPECT_EQ(OpenAiEmbedder::request_body(openai_settings(), {"a", "b"}),
            Json::parse(R"({"model":"text-embedding-3-small","input":["a","b"],
                            "encoding_format":"float"})"));
  EmbedderSettings shortened = openai_settings();
  shortened.dimensions = 256;
  EXPECT_EQ(OpenAiEmbedder::request_body(shortened, {"a"})["dimensions"], 256);
}

TEST(OpenAiEmbedderAnswer, OrdersVectorsByIndex) {
  auto vectors = OpenAiEmbedder::parse_answer(Json::parse(R"({"object":"list","model":"m",
      "usage":{"prompt_tokens":2,"total_tokens":2},
      "data":[{"object":"embedding","index":1,"embedding":[3,4]},
              {"object":"embedding","index":0,"embedding":[1,2]}]})"),
                                              2);
  ASSERT_TRUE(vectors) << vectors.error();
  EXPECT_EQ(*vectors, (Embeddings{{1, 2}, {3, 4}}));
}

TEST(OpenAiEmbedderAnswer, RefusesWrongCountsRepeatsAndBase64) {
  EXPECT_FALSE(
      OpenAiEmbedder::parse_answer(Json::parse(R"({"data":[{"index":0,"embedding":[1]}]})"), 2));
  EXPECT_FALSE(OpenAiEmbedder::parse_answer(
      Json::parse(R"({"data":[{"index":0,"embedding":[1]},{"index":0,"embedding":[2]}]})"), 2));
  EXPECT_FALSE(OpenAiEmbedder::parse_answer(
      Json::parse(R"({"data":[{"index":0,"embedding":"AACAPw=="}]})"), 1));
  EXPECT_FALSE(OpenAiEmbedder::parse_answer(Json::parse(R"({"data":[{"embedding":[1]}]})"), 1));
}

TEST(OpenAiEmbedderPath, AcceptsABaseUrlWithOrWithoutV1) {
  EXPECT_EQ(OpenAiEmbedder::path_for("http://127.0.0.1:8080"), "/v1/embeddings");
  EXPECT_EQ(OpenAiEmbedder::path_for("https://api.openai.com/"), "/v1/embeddings");
  EXPECT_EQ(OpenAiEmbedder::path_for("https://api.openai.com/v1"), "/embeddings");
  EXPECT_EQ(OpenAiEmbedder::path_for("http://litellm:4000/v1/"), "/embeddings");
}

TEST(OpenAiEmbedderErrors, MissingModelAndOverlongInputAreExplained) {
  BackendError missing;
  missing.code = BackendErrorCode::kRejected;
  missing.base_url = "http://vllm:8000";
  missing.http_status = 404;
  missing.body = Json::parse(
      R"({"error":{"message":"The model `x` does not exist.","type":"not_found_error"}})");
  EXPECT_EQ(OpenAiEmbedder::explain(missing, openai_settings(), {"a"}).message,
            "embedding model 'text-embedding-3-small' is not available at http://vllm:8000 (the "
            "provider said: The model `x` does not exist.); check the embedder's model setting");

  BackendError too_long = missing;
  too_long.http_status = 400;
  too_long.body = Json::parse(
      R"({"error":{"message":"This model's maximum context length is 512 tokens, however you requested 900 tokens. Please reduce your input.","type":"invalid_request_error"}})");
  const std::string message =
      OpenAiEmbedder::explain(too_long, openai_settings(), {"tiny", std::string(900, 'w')}).message;
  EXPECT_NE(message.find("maximum context length is 512 tokens"), std::string::npos) << message;
  EXPECT_NE(message.find("(900 characters)"), std::string::npos) << message;
}

class OpenAiEmbedderWire : public testing::ClientFixture {};

TEST_F(OpenAiEmbedderWire, PostsToV1Embeddings) {
  server_.always(
      Reply::json(200, R"({"object":"list","model":"m","usage":{"prompt_tokens":1,"total_tokens":1},
      "data":[{"object":"embedding","index":0,"embedding":[0.25,0.75]}]})"));
  OpenAiEmbedder embedder(openai_settings(), backend("embedder"), nullptr);
  auto result = run(embedder.embed({"hello"}));
  ASSERT_TRUE(result) << result.error().message;
  EXPECT_EQ(*result, (Embeddings{{0.25F, 0.75F}}));
  const auto requests = server_.requests();
  ASSERT_EQ(requests.size(), 1U);
  EXPECT_EQ(requests[0].target, "/v1/embeddings");
  EXPECT_EQ(
      body_of(requests[0]),
      Json::parse(
          R"({"model":"text-embedding-3-small","input":["hello"],"encoding_format":"float"})"));
}

}  // namespace
}  // namespace shield::backend

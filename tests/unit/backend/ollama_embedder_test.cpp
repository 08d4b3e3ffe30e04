#include "shield/backend/ollama_embedder.hpp"

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "unit/backend/client_test_support.hpp"

namespace shield::backend {
namespace {

using testing::body_of;
using testing::Reply;

EmbedderSettings ollama_settings() {
  EmbedderSettings settings;
  settings.provider = EmbeddingProvider::kOllama;
  settings.model = "nomic-embed-text";
  settings.keep_alive = "5m";
  settings.batch_size = 2;
  return settings;
}

BackendError refusal(unsigned status, Json body) {
  BackendError error;
  error.code = BackendErrorCode::kRejected;
  error.backend = "embedder";
  error.base_url = "http://127.0.0.1:11434";
  error.http_status = status;
  error.body = std::move(body);
  error.message = "Ollama rejected the request";
  return error;
}

TEST(OllamaEmbedderBody, CarriesModelInputTruncateAndKeepAlive) {
  const Json body = OllamaEmbedder::request_body(ollama_settings(), {"a", "b"});
  EXPECT_EQ(body, Json::parse(R"({"model":"nomic-embed-text","input":["a","b"],"truncate":true,
                                  "keep_alive":"5m"})"));
}

TEST(OllamaEmbedderBody, SendsDimensionsOnlyWhenConfiguredAndKeepAliveOnlyWhenSet) {
  EmbedderSettings settings = ollama_settings();
  settings.keep_alive.clear();
  settings.truncate = false;
  settings.dimensions = 256;
  const Json body = OllamaEmbedder::request_body(settings, {"a"});
  EXPECT_EQ(body, Json::parse(R"({"model":"nomic-embed-text","input":["a"],"truncate":false,
                                  "dimensions":256})"));
}

TEST(OllamaEmbedderAnswer, ParsesTheEmbeddingsList) {
  auto vectors = OllamaEmbedder::parse_answer(
      Json::parse(R"({"model":"m","embeddings":[[0.5,-1],[2,3.25]],"total_duration":1})"));
  ASSERT_TRUE(vectors) << vectors.error();
  EXPECT_EQ(*vectors, (Embeddings{{0.5F, -1.0F}, {2.0F, 3.25F}}));
}

TEST(OllamaEmbedderAnswer, RefusesMalformedAnswers) {
  EXPECT_FALSE(OllamaEmbedder::parse_answer(Json::parse(R"({"embedding":[1,2]})")));
  EXPECT_FALSE(OllamaEmbedder::parse_answer(Json::parse(R"({"embeddings":[[1,"x"]]})")));
  EXPECT_FALSE(OllamaEmbedder::parse_answer(Json::parse(R"({"embeddings":[1,2]})")));
  EXPECT_FALSE(OllamaEmbedder::parse_answer(Json("not json")));
}

TEST(OllamaEmbedderErrors, AMissingModelSaysHowToPullIt) {
  const BackendError error = OllamaEmbedder::explain(
      refusal(404, Json{{"error", "model \"nomic-embed-text\" not found, try pulling it first"}}),
      ollama_settings(), {"a"});
  EXPECT_EQ(error.message,
            "embedding model 'nomic-embed-text' is not available on Ollama at "
            "http://127.0.0.1:11434; pull it with `ollama pull nomic-embed-text`");
  EXPECT_EQ(error.detail, "model \"nomic-embed-text\" not found, try pulling it first");
  EXPECT_EQ(error.code, BackendErrorCode::kRejected);
}

TEST(OllamaEmbedderErrors, AnOverlongInputIsNamedWithItsLength) {
  const std::string long_text = "Circuit breakers " + std::string(2483, 'x');
  const BackendError error = OllamaEmbedder::explain(
      refusal(400, Json{{"error", "the input length exceeds the context length"}}),
      ollama_settings(), {"short", long_text});
  EXPECT_NE(error.message.find("longer than embedding model 'nomic-embed-text' accepts"),
            std::string::npos)
      << error.message;
  EXPECT_NE(error.message.find("\"Circuit breakers xxxxxxxxxxxxxxxxxxxxxxx…\" (2,500 characters)"),
            std::string::npos)
      << error.message;
  EXPECT_NE(error.message.find("truncate = true"), std::string::npos) << error.message;
}

TEST(OllamaEmbedderErrors, CredentialsAndOtherRefusalsAreExplained) {
  const BackendError auth = OllamaEmbedder::explain(refusal(401, Json{{"error", "unauthorized"}}),
                                                    ollama_settings(), {"a"});
  EXPECT_NE(auth.message.find("refused our credentials (401)"), std::string::npos) << auth.message;

  const BackendError other =
      OllamaEmbedder::explain(refusal(400, Json{{"error", "dimensions must be between 1 and 768"}}),
                              ollama_settings(), {"a"});
  EXPECT_EQ(other.message,
            "Ollama at http://127.0.0.1:11434 rejected the embedding request for model "
            "'nomic-embed-text': dimensions must be between 1 and 768");
}

TEST(OllamaEmbedderErrors, OutagesPassThroughUnchanged) {
  BackendError down;
  down.code = BackendErrorCode::kUnavailable;
  down.message = "Ollama at http://127.0.0.1:11434 is unavailable (connection refused)";
  const BackendError same = OllamaEmbedder::explain(down, ollama_settings(), {"a"});
  EXPECT_EQ(same.message, down.message);
  EXPECT_EQ(same.code, BackendErrorCode::kUnavailable);
}

class OllamaEmbedderWire : public testing::ClientFixture {};

TEST_F(OllamaEmbedderWire, PostsBatchesToApiEmbedAndCachesTheVectors) {
  server_.script([](const testing::SeenRequest& request, std::size_t) {
    const Json body = Json::parse(request.body);
    Json vectors = Json::array();
    for (const auto& text : body["input"]) {
      vectors.push_back(Json{static_cast<double>(text.get<std::string>().size()), 1.0});
    }
    return Reply::json(200, Json{{"model", body["model"]}, {"embeddings", vectors}}.dump());
  });
  OllamaEmbedder embedder(ollama_settings(), backend("embedder"), nullptr);

  auto first = run(embedder.embed({"a", "bb", "ccc"}));
  ASSERT_TRUE(first) << first.error().message;
  EXPECT_EQ(*first, (Embeddings{{1, 1}, {2, 1}, {3, 1}}));
  EXPECT_EQ(embedder.dimensions(), 2U);

  auto requests = server_.requests();
  ASSERT_EQ(requests.size(), 2U);
  EXPECT_EQ(requests[0].method, "POST");
  EXPECT_EQ(requests[0].target, "/api/embed");
  EXPECT_EQ(body_of(requests[0])["input"], Json::parse(R"(["a","bb"])"));
  EXPECT_EQ(body_of(requests[1])["input"], Json::parse(R"(["ccc"])"));
  EXPECT_EQ(body_of(requests[1])["keep_alive"], "5m");

  auto second = run(embedder.embed({"bb"}));
  ASSERT_TRUE(second);
  EXPECT_EQ(*second, (Embeddings{{2, 1}}));
  EXPECT_EQ(server_.request_count(), 2U);
}

TEST_F(OllamaEmbedderWire, A404FromOllamaBecomesThePullHint) {
  server_.always(Reply::json(
      404, R"({"error":"model \"nomic-embed-text\" not found, try pulling it first"})"));
  OllamaEmbedder embedder(ollama_settings(), backend("embedder"), nullptr);
  auto result = run(embedder.embed({"a"}));
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code, BackendErrorCode::kRejected);
  EXPECT_EQ(result.error().message,
            "embedding model 'nomic-embed-text' is not available on Ollama at " + server_.url() +
                "; pull it with `ollama pull nomic-embed-text`");
}

}  // namespace
}  // namespace shield::backend

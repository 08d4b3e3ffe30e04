#include "shield/ingest/qdrant_sink.hpp"

#include <atomic>
#include <memory>

#include <gtest/gtest.h>

#include "unit/backend/client_test_support.hpp"
#include "unit/ingest/ingest_test_support.hpp"

namespace shield::ingest {
namespace {

using backend::BackendErrorCode;
using backend::testing::body_of;
using backend::testing::ClientFixture;
using backend::testing::Reply;
using backend::testing::SeenRequest;
using testing::FakeEmbedder;
using testing::make_document;

constexpr const char* kMissing =
    R"({"status":{"error":"Not found: Collection `docs` doesn't exist!"},"time":0.0})";
constexpr const char* kUpdated =
    R"({"result":{"operation_id":1,"status":"completed"},"status":"ok","time":0.001})";

// Three sections, so three chunks at the default size.
constexpr const char* kGuide = "# Guide\n\nIntro.\n\n## Install\n\nRun apt.\n\n## Use\n\nCall it.";

class QdrantSinkTest : public ClientFixture {
 protected:
  QdrantSink& sink(QdrantSinkSettings settings = {}) {
    if (settings.collection.empty()) settings.collection = "docs";
    sink_ = std::make_unique<QdrantSink>(backend("qdrant"), embedder_, std::move(settings));
    return *sink_;
  }
  backend::CallResult<SinkReceipt> deliver(std::vector<Document> documents) {
    return run(sink_->deliver(std::move(documents), {}));
  }
  // A Qdrant without the collection until it is created. (The server copies its script per
  // request, so the state lives outside it.)
  void serve_empty_qdrant() {
    auto created = std::make_shared<std::atomic<bool>>(false);
    server_.script([created](const SeenRequest& request, std::size_t) {
      if (request.method == "PUT" && request.target == "/collections/docs") {
        *created = true;
        return Reply::json(200, R"({"result":true,"status":"ok","time":0.1})");
      }
      if (!*created) return Reply::json(404, kMissing);
      return Reply::json(200, kUpdated);
    });
  }
  std::vector<SeenRequest> requests_to(const std::string& method, const std::string& prefix) {
    std::vector<SeenRequest> out;
    for (const auto& request : server_.requests()) {
      if (request.method == method && request.target.starts_with(prefix)) out.push_back(request);
    }
    return out;
  }

  FakeEmbedder embedder_{4};
  std::unique_ptr<QdrantSink> sink_;
};

TEST_F(QdrantSinkTest, CreatesTheCollectionOnFirstUseAndStoresEveryChunk) {
  serve_empty_qdrant();
  sink();
  Document document = make_document("https://docs.example.com/guide", kGuide, "job_9");
  document.metadata = Json{{"lang", "en"}, {"chunk_index", "not yours"}};
  const auto receipt = deliver({document});
  ASSERT_TRUE(receipt) << receipt.error().message;
  EXPECT_EQ(receipt->accepted, 1U);
  EXPECT_EQ(receipt->details["chunks"], 3);
  EXPECT_EQ(receipt->details["collection"], "docs");

  const auto requests = server_.requests();
  ASSERT_EQ(requests.size(), 4U);
  EXPECT_EQ(requests[0].method + " " + requests[0].target,
            "PUT /collections/docs/points?wait=true");
  EXPECT_EQ(requests[1].method + " " + requests[1].target, "PUT /collections/docs");
  EXPECT_EQ(body_of(requests[1]), Json::parse(R"({"vectors":{"size":4,"distance":"Cosine"}})"));
  EXPECT_EQ(requests[2].method + " " + requests[2].target,
            "PUT /collections/docs/points?wait=true");
  EXPECT_EQ(requests[3].method + " " + requests[3].target,
            "POST /collections/docs/points/delete?wait=true");

  const Json points = body_of(requests[2])["points"];
  ASSERT_EQ(points.size(), 3U);
  const std::vector<std::string> texts = {"# Guide\n\nIntro.", "## Install\n\nRun apt.",
                                          "## Use\n\nCall it."};
  const std::vector<Json> heading_paths = {
      Json::array({"Guide"}), Json::array({"Guide", "Install"}), Json::array({"Guide", "Use"})};
  for (std::size_t i = 0; i < 3; ++i) {
    const Json& point = points[i];
    EXPECT_EQ(point["id"], chunk_point_id("https://docs.example.com/guide", i));
    EXPECT_EQ(point["vector"][0], static_cast<double>(texts[i].size()));  // its own embedding
    EXPECT_EQ(point["payload"]["document"], texts[i]);
    const Json& metadata = point["payload"]["metadata"];
    EXPECT_EQ(metadata["source"], "https://docs.example.com/guide");
    EXPECT_EQ(metadata["title"], "Title of https://docs.example.com/guide");
    EXPECT_EQ(metadata["content_type"], "text/html");
    EXPECT_EQ(metadata["job_id"], "job_9");
    EXPECT_EQ(metadata["document_id"], document_id("https://docs.example.com/guide"));
    EXPECT_EQ(metadata["chunk_index"], i);
    EXPECT_EQ(metadata["chunk_count"], 3);
    EXPECT_EQ(metadata["heading_path"], heading_paths[i]);
    EXPECT_EQ(metadata["lang"], "en");  // the document's own metadata rides along
  }
  EXPECT_EQ(embedder_.calls(), (std::vector<std::vector<std::string>>{texts}));
  EXPECT_EQ(body_of(requests[3]), Json::parse(R"({"filter":{"should":[{"must":[
      {"key":"metadata.source","match":{"value":"https://docs.example.com/guide"}},
      {"key":"metadata.chunk_index","range":{"gte":3}}]}]}})"));
}

TEST_F(QdrantSinkTest, EmbedsAndUpsertsInBoundedRequests) {
  server_.always(Reply::json(200, kUpdated));
  QdrantSinkSettings settings;
  settings.points_per_request = 2;
  settings.vector_name = "dense";
  sink(settings);
  const auto receipt =
      deliver({make_document("https://a/", kGuide), make_document("https://b/", kGuide)});
  ASSERT_TRUE(receipt);
  EXPECT_EQ(receipt->details["chunks"], 6);
  const auto upserts = requests_to("PUT", "/collections/docs/points");
  ASSERT_EQ(upserts.size(), 3U);
  for (const auto& upsert : upserts) {
    const Json points = body_of(upsert)["points"];
    ASSERT_EQ(points.size(), 2U);
    EXPECT_TRUE(points[0]["vector"].contains("dense"));  // the configured named vector
  }
  EXPECT_EQ(body_of(upserts[1])["points"][1]["id"], chunk_point_id("https://b/", 0));
  const auto calls = embedder_.calls();
  ASSERT_EQ(calls.size(), 3U);
  for (const auto& call : calls) EXPECT_EQ(call.size(), 2U);
  // One delete for the whole batch.
  const auto deletes = requests_to("POST", "/collections/docs/points/delete");
  ASSERT_EQ(deletes.size(), 1U);
  EXPECT_EQ(body_of(deletes[0])["filter"]["should"].size(), 2U);
}

TEST_F(QdrantSinkTest, ReIngestingASourceDropsTheChunksItNoLongerHas) {
  server_.always(Reply::json(200, kUpdated));
  sink();
  ASSERT_TRUE(deliver({make_document("https://a/", "# Only\n\nOne section now.")}));
  const auto upserts = requests_to("PUT", "/collections/docs/points");
  ASSERT_EQ(upserts.size(), 1U);
  EXPECT_EQ(body_of(upserts[0])["points"][0]["id"], chunk_point_id("https://a/", 0));
  const auto deletes = requests_to("POST", "/collections/docs/points/delete");
  ASSERT_EQ(deletes.size(), 1U);
  EXPECT_EQ(body_of(deletes[0])["filter"]["should"][0]["must"][1],
            Json::parse(R"({"key":"metadata.chunk_index","range":{"gte":1}})"));
}

TEST_F(QdrantSinkTest, AnEmptiedSourceLosesAllItsChunksEvenWithoutACollection) {
  server_.always(Reply::json(404, kMissing));
  sink();
  const auto receipt = deliver({make_document("https://a/", "  \n")});
  ASSERT_TRUE(receipt) << receipt.error().message;
  EXPECT_TRUE(embedder_.calls().empty());
  const auto requests = server_.requests();
  ASSERT_EQ(requests.size(), 1U);
  EXPECT_EQ(requests[0].target, "/collections/docs/points/delete?wait=true");
  EXPECT_EQ(body_of(requests[0])["filter"]["should"][0]["must"][1]["range"]["gte"], 0);
}

TEST_F(QdrantSinkTest, TwoDocumentsOfOneSourceInABatchStoreTheLaterOne) {
  server_.always(Reply::json(200, kUpdated));
  sink();
  ASSERT_TRUE(
      deliver({make_document("https://a/", "first"), make_document("https://a/", "second")}));
  const auto upserts = requests_to("PUT", "/collections/docs/points");
  ASSERT_EQ(upserts.size(), 1U);
  const Json points = body_of(upserts[0])["points"];
  ASSERT_EQ(points.size(), 1U);
  EXPECT_EQ(points[0]["payload"]["document"], "second");
}

TEST_F(QdrantSinkTest, PassesEmbedderAndQdrantFailuresOn) {
  sink();
  backend::BackendError down;
  down.code = BackendErrorCode::kUnavailable;
  down.backend = "embedder";
  down.message = "Ollama at http://127.0.0.1:11434 is unavailable";
  embedder_.failure = down;
  const auto no_vectors = deliver({make_document("https://a/", kGuide)});
  ASSERT_FALSE(no_vectors);
  EXPECT_EQ(no_vectors.error().backend, "embedder");
  EXPECT_EQ(server_.request_count(), 0U);

  embedder_.failure.reset();
  server_.always(Reply::json(
      400,
      R"({"status":{"error":"Wrong input: Vector dimension error: expected dim: 768, got 4"},"time":0})"));
  const auto refused = deliver({make_document("https://a/", kGuide)});
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, BackendErrorCode::kRejected);
  EXPECT_EQ(refused.error().http_status, 400U);
  EXPECT_TRUE(requests_to("POST", "/collections/docs/points/delete").empty());
}

TEST_F(QdrantSinkTest, ChunksOnTheBlockingExecutorWhenGivenOne) {
  server_.always(Reply::json(200, kUpdated));
  testing::Loop pool_owner;
  QdrantSinkSettings settings;
  settings.blocking = pool_owner.blocking();
  settings.chunking = {16, 0};
  sink(settings);
  const auto receipt =
      deliver({make_document("https://a/", std::string(kGuide) + "\n\n" + std::string(400, 'x'))});
  ASSERT_TRUE(receipt);
  EXPECT_GT(receipt->details["chunks"].get<int>(), 3);
}

TEST_F(QdrantSinkTest, HasNoRemoteJobs) {
  sink();
  const auto status = run(sink_->remote_status("anything", {}));
  ASSERT_TRUE(status);
  EXPECT_EQ((*status)["state"], "done");
  EXPECT_EQ(server_.request_count(), 0U);
}

}  // namespace
}  // namespace shield::ingest

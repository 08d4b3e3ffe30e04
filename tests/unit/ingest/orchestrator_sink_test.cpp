#include "shield/ingest/orchestrator_sink.hpp"

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
using testing::make_document;

constexpr const char* kAccepted =
    R"({"job_id":"job_1","status":"queued","documents":2,"track_url":"/jobs/job_1"})";

class OrchestratorSinkTest : public ClientFixture {
 protected:
  OrchestratorSink& sink() {
    if (!sink_) sink_ = std::make_unique<OrchestratorSink>(backend("orchestrator"));
    return *sink_;
  }
  backend::CallResult<SinkReceipt> deliver(std::vector<Document> documents) {
    return run(sink().deliver(std::move(documents), {}));
  }

  std::unique_ptr<OrchestratorSink> sink_;
};

Document crawled_page() {
  Document document = make_document("https://docs.example.com/breakers", "# Breakers\n\nText.");
  document.title = "Circuit breakers";
  document.job_id = "job_7Qm2";
  document.metadata = Json{{"final_url", "https://docs.example.com/breakers/"},
                           {"status", 200},
                           {"fetched_at", "2025-06-01T10:15:00Z"},
                           {"depth", 1},
                           {"language", "en"},
                           {"project", "handbook"}};
  return document;
}

TEST_F(OrchestratorSinkTest, PostsTheDocumentsAsTheContractSays) {
  server_.always(Reply::json(202, kAccepted));
  const auto receipt = deliver({crawled_page()});
  ASSERT_TRUE(receipt) << receipt.error().message;
  EXPECT_EQ(receipt->accepted, 1U);
  EXPECT_EQ(receipt->remote_job_ids, std::vector<std::string>{"job_1"});

  const auto requests = server_.requests();
  ASSERT_EQ(requests.size(), 1U);
  const SeenRequest& request = requests[0];
  EXPECT_EQ(request.method, "POST");
  EXPECT_EQ(request.target, "/ingest-async");
  EXPECT_EQ(request.header("content-type"), "application/json");
  EXPECT_TRUE(request.header("idempotency-key").starts_with("shield-"));
  const Json expected = Json::parse(R"({"documents":[{
      "text":"# Breakers\n\nText.",
      "metadata":{
        "source":"https://docs.example.com/breakers",
        "title":"Circuit breakers",
        "content_type":"text/markdown",
        "job_id":"job_7Qm2",
        "final_url":"https://docs.example.com/breakers/",
        "http_status":200,
        "fetched_at":"2025-06-01T10:15:00Z",
        "depth":1,
        "language":"en",
        "attributes":{"project":"handbook","source_content_type":"text/html",
                      "document_id":"a59f4b38-2e5f-5d44-8b8e-f5d1c0b7c9c1"}}}]})");
  Json body = body_of(request);
  // The id is the document's own; compare it apart from the literal above.
  EXPECT_EQ(body["documents"][0]["metadata"]["attributes"]["document_id"],
            document_id("https://docs.example.com/breakers"));
  body["documents"][0]["metadata"]["attributes"]["document_id"] =
      expected["documents"][0]["metadata"]["attributes"]["document_id"];
  EXPECT_EQ(body, expected);
}

TEST_F(OrchestratorSinkTest, MetadataTheContractWouldRefuseTravelsAsAttributes) {
  Document document = make_document("upload:report.pdf", "text");
  document.content_type = "application/pdf";
  document.metadata = Json{{"final_url", "not a url"},  {"http_status", 42},
                           {"fetched_at", "yesterday"}, {"depth", -1},
                           {"language", "x"},           {"status", "ok"},
                           {"source", "an override"},   {"title", Json::array()}};
  const Json body = OrchestratorSink::document_body(document);
  const Json& metadata = body["metadata"];
  EXPECT_EQ(metadata["source"], "upload:report.pdf");
  EXPECT_EQ(metadata["title"], "Title of upload:report.pdf");
  for (const char* field : {"final_url", "http_status", "fetched_at", "depth", "language"}) {
    EXPECT_FALSE(metadata.contains(field)) << field;
  }
  const Json& attributes = metadata["attributes"];
  EXPECT_EQ(attributes["final_url"], "not a url");
  EXPECT_EQ(attributes["http_status"], 42);
  EXPECT_EQ(attributes["fetched_at"], "yesterday");
  EXPECT_EQ(attributes["depth"], -1);
  EXPECT_EQ(attributes["language"], "x");
  EXPECT_EQ(attributes["status"], "ok");
  EXPECT_EQ(attributes["source"], "an override");
  EXPECT_EQ(attributes["source_content_type"], "application/pdf");
  // Only the contract's properties at the top of metadata.
  for (const auto& [key, value] : metadata.items()) {
    (void)value;
    EXPECT_TRUE(key == "source" || key == "title" || key == "content_type" || key == "job_id" ||
                key == "attributes")
        << key;
  }
}

TEST_F(OrchestratorSinkTest, AcceptsOnlyRealDatesForFetchedAt) {
  for (const char* good : {"2025-06-01T10:15:00Z", "2024-02-29T23:59:59.5+02:00",
                           "2025-06-01 10:15:00z", "2025-06-01t10:15:00.123-05:30"}) {
    Document document = make_document("s", "t");
    document.metadata = Json{{"fetched_at", good}};
    EXPECT_TRUE(OrchestratorSink::document_body(document)["metadata"].contains("fetched_at"))
        << good;
  }
  for (const char* bad : {"2025-02-29T10:00:00Z", "2025-13-01T10:00:00Z", "2025-06-01T24:00:00Z",
                          "2025-06-01T10:15:00", "2025-06-01", "2025-06-01T10:15:00+0200",
                          "2025-06-01T10:15:00.Z", "2016-12-31T23:59:60+01:00"}) {
    Document document = make_document("s", "t");
    document.metadata = Json{{"fetched_at", bad}};
    EXPECT_FALSE(OrchestratorSink::document_body(document)["metadata"].contains("fetched_at"))
        << bad;
  }
}

TEST_F(OrchestratorSinkTest, TheIdempotencyKeyFollowsTheBatchContent) {
  const Document a = make_document("https://a/", "A");
  const Document b = make_document("https://b/", "B");
  Document a_changed = a;
  a_changed.markdown = "A, extracted again";
  const std::string key = OrchestratorSink::idempotency_key({a, b});
  EXPECT_EQ(key, OrchestratorSink::idempotency_key({a, b}));
  EXPECT_NE(key, OrchestratorSink::idempotency_key({b, a}));
  EXPECT_NE(key, OrchestratorSink::idempotency_key({a_changed, b}));
  EXPECT_NE(key, OrchestratorSink::idempotency_key({a}));

  server_.always(Reply::json(202, kAccepted));
  ASSERT_TRUE(deliver({a, b}));
  ASSERT_TRUE(deliver({a, b}));
  const auto requests = server_.requests();
  ASSERT_EQ(requests.size(), 2U);
  EXPECT_EQ(requests[0].header("idempotency-key"), key);
  EXPECT_EQ(requests[1].header("idempotency-key"), key);
}

TEST_F(OrchestratorSinkTest, BlankDocumentsAreAcceptedWithoutBeingSent) {
  server_.always(Reply::json(202, kAccepted));
  const auto none = deliver({make_document("s1", ""), make_document("s2", " \n\t")});
  ASSERT_TRUE(none);
  EXPECT_EQ(none->accepted, 2U);
  EXPECT_TRUE(none->remote_job_ids.empty());
  EXPECT_EQ(server_.request_count(), 0U);

  const auto some = deliver({make_document("s1", ""), make_document("s2", "text")});
  ASSERT_TRUE(some);
  EXPECT_EQ(some->accepted, 2U);
  EXPECT_EQ(some->details["skipped_blank"], Json::array({document_id("s1")}));
  ASSERT_EQ(server_.request_count(), 1U);
  const Json body = body_of(server_.requests()[0]);
  ASSERT_EQ(body["documents"].size(), 1U);
  EXPECT_EQ(body["documents"][0]["metadata"]["source"], "s2");
}

TEST_F(OrchestratorSinkTest, SplitsBatchesLargerThanTheContractAllows) {
  server_.script([](const SeenRequest&, std::size_t index) {
    return Reply::json(202, R"({"job_id":"job_)" + std::to_string(index) +
                                R"(","status":"queued","documents":1})");
  });
  std::vector<Document> documents;
  documents.reserve(1001);
  for (int i = 0; i < 1001; ++i) documents.push_back(make_document("s" + std::to_string(i), "t"));
  const auto receipt = deliver(std::move(documents));
  ASSERT_TRUE(receipt);
  EXPECT_EQ(receipt->accepted, 1001U);
  EXPECT_EQ(receipt->remote_job_ids, (std::vector<std::string>{"job_0", "job_1"}));
  const auto requests = server_.requests();
  ASSERT_EQ(requests.size(), 2U);
  EXPECT_EQ(body_of(requests[0])["documents"].size(), 1000U);
  EXPECT_EQ(body_of(requests[1])["documents"].size(), 1U);
  EXPECT_NE(requests[0].header("idempotency-key"), requests[1].header("idempotency-key"));
}

TEST_F(OrchestratorSinkTest, ReportsRefusalsOutagesAndUnusableAnswers) {
  server_.always(Reply::json(
      422, R"({"error":{"code":"invalid_request","message":"request body does not match"}})"));
  const auto refused = deliver({make_document("s", "t")});
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, BackendErrorCode::kRejected);
  EXPECT_EQ(refused.error().http_status, 422U);

  server_.always(Reply::json(503, R"({"error":{"code":"unavailable","message":"down"}})"));
  const auto down = deliver({make_document("s", "t")});
  ASSERT_FALSE(down);
  EXPECT_EQ(down.error().code, BackendErrorCode::kUnavailable);

  server_.always(Reply::json(202, R"({"status":"queued"})"));
  const auto unusable = deliver({make_document("s", "t")});
  ASSERT_FALSE(unusable);
  EXPECT_EQ(unusable.error().code, BackendErrorCode::kUnavailable);
  EXPECT_NE(unusable.error().message.find("unusable answer to POST /ingest-async"),
            std::string::npos);
  EXPECT_EQ(unusable.error().backend, "orchestrator");
}

TEST_F(OrchestratorSinkTest, ReadsTheStateOfAnIngestionJob) {
  server_.script([](const SeenRequest& request, std::size_t) {
    if (request.target == "/jobs/job_1") {
      return Reply::json(200, R"({"job_id":"job_1","status":"failed",
          "created_at":"2025-06-01T10:15:02Z","updated_at":"2025-06-01T10:15:09Z",
          "documents":{"total":1,"processed":0,"failed":1},
          "error":{"code":"ingest_failed","message":"embedding service unavailable"}})");
    }
    if (request.target == "/jobs/job%2Fx%20y") {
      return Reply::json(
          404, R"({"error":{"code":"job_not_found","message":"job 'job/x y' not found"}})");
    }
    return Reply::json(500, R"({"error":{"code":"internal_error","message":"boom"}})");
  });
  const auto failed = run(sink().remote_status("job_1", {}));
  ASSERT_TRUE(failed);
  EXPECT_EQ((*failed)["remote_job_id"], "job_1");
  EXPECT_EQ((*failed)["state"], "failed");
  EXPECT_EQ((*failed)["detail"]["error"]["code"], "ingest_failed");
  EXPECT_EQ(server_.requests().back().method, "GET");

  const auto missing = run(sink().remote_status("job/x y", {}));
  ASSERT_TRUE(missing);
  EXPECT_EQ((*missing)["state"], "not_found");
  EXPECT_EQ((*missing)["detail"]["error"]["code"], "job_not_found");

  const auto broken = run(sink().remote_status("other", {}));
  ASSERT_FALSE(broken);
  EXPECT_EQ(broken.error().code, BackendErrorCode::kUnavailable);
}

}  // namespace
}  // namespace shield::ingest

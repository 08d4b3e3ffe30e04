#include "shield/ingest/lightrag_sink.hpp"

#include <gtest/gtest.h>

#include "unit/backend/client_test_support.hpp"
#include "unit/ingest/ingest_test_support.hpp"

namespace shield::ingest {
namespace {

using backend::BackendErrorCode;
using backend::testing::body_of;
using backend::testing::ClientFixture;
using backend::testing::Reply;
using testing::make_document;

class LightragSinkTest : public ClientFixture {
 protected:
  // A backend set up as settings_for("lightrag") sets it up: the key in X-API-Key.
  LightragSink& sink() {
    if (!sink_) {
      backend::BackendSettings settings;
      settings.name = "lightrag";
      settings.display_name = "LightRAG";
      settings.base_url = server_.url();
      settings.auth = backend::AuthStyle::kHeader;
      settings.auth_header = "X-API-Key";
      settings.secret = "lightrag-key";
      settings.retry.max_attempts = 1;
      lightrag_ = std::make_unique<backend::Backend>(std::move(settings), loop_.client(), metrics_,
                                                     SystemClock::instance());
      sink_ = std::make_unique<LightragSink>(*lightrag_);
    }
    return *sink_;
  }
  backend::CallResult<SinkReceipt> deliver(std::vector<Document> documents) {
    return run(sink().deliver(std::move(documents), {}));
  }
  backend::CallResult<Json> status_with(const std::string& documents) {
    server_.always(Reply::json(200, R"({"track_id":"insert_1","documents":)" + documents +
                                        R"(,"total_count":0,"status_summary":{}})"));
    return run(sink().remote_status("insert_1", {}));
  }

  std::unique_ptr<backend::Backend> lightrag_;
  std::unique_ptr<LightragSink> sink_;
};

TEST_F(LightragSinkTest, InsertsTextsWithTheirSourcesAndTheApiKey) {
  server_.always(Reply::json(200, R"({"status":"success","message":"Text successfully received.",
                                      "track_id":"insert_20250601_101500_ab12cd34"})"));
  const auto receipt =
      deliver({make_document("https://a/", "# A\n\nalpha"), make_document("upload:b.txt", "beta"),
               make_document("https://blank/", "  ")});
  ASSERT_TRUE(receipt) << receipt.error().message;
  EXPECT_EQ(receipt->accepted, 3U);
  EXPECT_EQ(receipt->remote_job_ids, std::vector<std::string>{"insert_20250601_101500_ab12cd34"});
  EXPECT_EQ(receipt->details["status"], "success");
  EXPECT_EQ(receipt->details["skipped_blank"], Json::array({document_id("https://blank/")}));
  const auto requests = server_.requests();
  ASSERT_EQ(requests.size(), 1U);
  EXPECT_EQ(requests[0].method, "POST");
  EXPECT_EQ(requests[0].target, "/documents/texts");
  EXPECT_EQ(requests[0].header("x-api-key"), "lightrag-key");
  EXPECT_EQ(requests[0].header("content-type"), "application/json");
  EXPECT_EQ(body_of(requests[0]), Json::parse(R"({"texts":["# A\n\nalpha","beta"],
                                                  "file_sources":["https://a/","upload:b.txt"]})"));
}

TEST_F(LightragSinkTest, ADuplicateInsertIsAcceptedAndAllBlankSendsNothing) {
  server_.always(Reply::json(200, R"({"status":"duplicated","message":"All 1 texts already exist",
                                      "track_id":"insert_2"})"));
  const auto duplicate = deliver({make_document("https://a/", "alpha")});
  ASSERT_TRUE(duplicate);
  EXPECT_EQ(duplicate->remote_job_ids, std::vector<std::string>{"insert_2"});
  const auto blank = deliver({make_document("https://a/", "")});
  ASSERT_TRUE(blank);
  EXPECT_EQ(blank->accepted, 1U);
  EXPECT_TRUE(blank->remote_job_ids.empty());
  EXPECT_EQ(server_.request_count(), 1U);
}

TEST_F(LightragSinkTest, AFailureAnswerOrNoTrackIdIsAnOutage) {
  server_.always(Reply::json(200, R"({"status":"failure","message":"pipeline is busy",
                                      "track_id":""})"));
  const auto failure = deliver({make_document("https://a/", "alpha")});
  ASSERT_FALSE(failure);
  EXPECT_EQ(failure.error().code, BackendErrorCode::kUnavailable);
  EXPECT_NE(failure.error().message.find("pipeline is busy"), std::string::npos);

  server_.always(Reply::json(200, R"({"status":"success","message":"ok"})"));
  const auto untracked = deliver({make_document("https://a/", "alpha")});
  ASSERT_FALSE(untracked);
  EXPECT_EQ(untracked.error().code, BackendErrorCode::kUnavailable);
  EXPECT_NE(untracked.error().message.find("no track_id"), std::string::npos);

  server_.always(Reply::json(403, R"({"detail":"Invalid API Key"})"));
  const auto refused = deliver({make_document("https://a/", "alpha")});
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, BackendErrorCode::kRejected);
}

TEST_F(LightragSinkTest, SummarisesTheTrackedDocumentsIntoOneState) {
  const auto doc = [](const char* status, const char* error = nullptr) {
    Json item{{"id", std::string("doc-") + status},
              {"content_summary", "x"},
              {"content_length", 1},
              {"status", status},
              {"created_at", "2025-06-01T10:15:00"},
              {"updated_at", "2025-06-01T10:15:00"},
              {"file_path", "https://a/"}};
    if (error != nullptr) item["error_msg"] = error;
    return item.dump();
  };
  EXPECT_EQ((*status_with("[" + doc("pending") + "]"))["state"], "queued");
  EXPECT_EQ((*status_with("[" + doc("pending") + "," + doc("processing") + "]"))["state"],
            "running");
  EXPECT_EQ((*status_with("[" + doc("processed") + "," + doc("pending") + "]"))["state"],
            "running");
  EXPECT_EQ((*status_with("[" + doc("processed") + "," + doc("processed") + "]"))["state"],
            "succeeded");
  EXPECT_EQ((*status_with("[]"))["state"], "succeeded");  // every text was already stored
  const auto failed = status_with("[" + doc("processed") + "," + doc("failed", "boom") + "]");
  ASSERT_TRUE(failed);
  EXPECT_EQ((*failed)["state"], "failed");
  EXPECT_EQ((*failed)["remote_job_id"], "insert_1");
  EXPECT_EQ((*failed)["detail"]["total_count"], 2);
  EXPECT_EQ((*failed)["detail"]["failures"],
            Json::parse(R"([{"id":"doc-failed","file_path":"https://a/","error":"boom"}])"));
  EXPECT_EQ(server_.requests().back().target, "/documents/track_status/insert_1");
  EXPECT_EQ(server_.requests().back().header("x-api-key"), "lightrag-key");

  server_.always(Reply::json(200, R"({"track_id":"insert_1"})"));
  const auto unusable = run(sink().remote_status("insert_1", {}));
  ASSERT_FALSE(unusable);
  EXPECT_EQ(unusable.error().code, BackendErrorCode::kUnavailable);
}

}  // namespace
}  // namespace shield::ingest

#include "shield/app/job_routes.hpp"

#include <gtest/gtest.h>

#include <thread>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include "fake_job_engine.hpp"
#include "shield/metrics/metrics.hpp"
#include "unit/http/test_client.hpp"

namespace shield::app {
namespace {

using http::testing::RawClient;
using http::testing::ServerHarness;
using nlohmann::json;
using namespace std::chrono_literals;

jobs::Job make_job(std::string id, std::string caller = "anonymous",
                   jobs::JobState state = jobs::JobState::kRunning) {
  jobs::Job job;
  job.id = std::move(id);
  job.kind = jobs::JobKind::kIngest;
  job.state = state;
  job.caller = std::move(caller);
  job.created_at_ms = 1'700'000'000'000;
  job.updated_at_ms = job.created_at_ms;
  return job;
}

std::string request_text(std::string_view method, std::string_view target,
                         std::string_view extra_headers = "", std::string_view body = "") {
  return std::string(method) + " " + std::string(target) + " HTTP/1.1\r\nHost: 127.0.0.1\r\n" +
         std::string(extra_headers) + "Content-Length: " + std::to_string(body.size()) +
         "\r\n\r\n" + std::string(body);
}

std::string upload_body(std::string_view file, std::string_view extra_parts = "") {
  return "--B\r\nContent-Disposition: form-data; name=\"file\"; filename=\"notes.txt\"\r\n"
         "Content-Type: text/plain\r\n\r\n" +
         std::string(file) + "\r\n" + std::string(extra_parts) + "--B--\r\n";
}

class JobRoutesTest : public ::testing::Test {
 protected:
  explicit JobRoutesTest(config::ServerConfig server = {})
      : metrics_("test"),
        work_(boost::asio::make_work_guard(io_)),
        router_(http::AccessPolicy(server, HostPort{"127.0.0.1", 8765}), &metrics_) {
    add_job_routes(router_, engine_, io_.get_executor(),
                   JobRoutesOptions{.base_url = [] { return std::string("http://127.0.0.1:8765"); },
                                    .sse_keepalive = 0ms},
                   [this](IngestUpload upload) -> boost::asio::awaitable<Result<jobs::Job>> {
                     uploads_.push_back({upload.filename, std::string(upload.data), upload.doc_type,
                                         upload.metadata, upload.caller});
                     // Named first: GCC 12 mishandles initializer-list temporaries
                     // inside a co_await expression.
                     json input = json::object();
                     input["filename"] = upload.filename;
                     auto job = co_await engine_.submit(jobs::JobKind::kIngest, std::move(input),
                                                        upload.caller);
                     co_return job;
                   });
    thread_ = std::thread([this] { io_.run(); });
    harness_ = std::make_unique<ServerHarness>(
        http::ServerLimits{}, [this](http::Request request, std::shared_ptr<http::Exchange> e) {
          router_(std::move(request), std::move(e));
        });
  }
  ~JobRoutesTest() override {
    harness_.reset();
    work_.reset();
    io_.stop();
    thread_.join();
  }

  std::optional<http::testing::ClientResponse> call(const std::string& request) {
    RawClient client(harness_->port());
    if (!client.send(request)) return std::nullopt;
    return client.read_response();
  }

  struct Upload {
    std::string filename, data, doc_type;
    json metadata;
    std::string caller;
  };

  metrics::Metrics metrics_;
  testing::FakeJobEngine engine_;
  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_;
  http::Router router_;
  std::thread thread_;
  std::unique_ptr<ServerHarness> harness_;
  std::vector<Upload> uploads_;
};

TEST_F(JobRoutesTest, GetAnswersTheJobAndUnknownIdsGet404) {
  engine_.put(make_job("job_a"));
  auto found = call(request_text("GET", "/jobs/job_a"));
  ASSERT_TRUE(found);
  EXPECT_EQ(found->result_int(), 200U);
  const json body = json::parse(found->body());
  EXPECT_EQ(body["job_id"], "job_a");
  EXPECT_EQ(body["state"], "running");

  auto missing = call(request_text("GET", "/jobs/job_nope"));
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->result_int(), 404U);
  EXPECT_EQ(json::parse(missing->body())["error"]["message"], "job 'job_nope' not found");

  auto bad_id = call(request_text("GET", "/jobs/..%2fetc"));
  ASSERT_TRUE(bad_id);
  EXPECT_EQ(bad_id->result_int(), 404U);
}

TEST_F(JobRoutesTest, DeleteCancelsAndOtherMethodsAre405) {
  engine_.put(make_job("job_a"));
  auto cancelled = call(request_text("DELETE", "/jobs/job_a"));
  ASSERT_TRUE(cancelled);
  EXPECT_EQ(cancelled->result_int(), 200U);
  EXPECT_EQ(json::parse(cancelled->body())["state"], "cancelled");

  auto put = call(request_text("PUT", "/jobs/job_a"));
  ASSERT_TRUE(put);
  EXPECT_EQ(put->result_int(), 405U);
  EXPECT_EQ((*put)[boost::beast::http::field::allow], "GET, DELETE");
}

TEST_F(JobRoutesTest, EventsReplayAfterLastEventIdThenFollowLiveUntilFinal) {
  auto job = make_job("job_e", "anonymous", jobs::JobState::kQueued);
  engine_.publish(job);  // seq 1
  job.state = jobs::JobState::kRunning;
  engine_.publish(job);  // seq 2

  RawClient client(harness_->port());
  ASSERT_TRUE(client.send(request_text("GET", "/jobs/job_e/events", "Last-Event-ID: 1\r\n")));
  auto replayed = client.read_until(
      [](const std::string& text) { return text.find("id: 2\n") != std::string::npos; }, 5s);
  ASSERT_TRUE(replayed);
  EXPECT_EQ(replayed->find("id: 1\n"), std::string::npos) << "seq 1 was before Last-Event-ID";
  EXPECT_NE(replayed->find("text/event-stream"), std::string::npos);

  // Live: wait until the stream is subscribed, then finish the job.
  for (int i = 0; i < 500 && engine_.watcher_count() == 0; ++i) std::this_thread::sleep_for(1ms);
  job.state = jobs::JobState::kSucceeded;
  engine_.publish(job);  // seq 3
  auto rest = client.read_until(
      [](const std::string& text) { return text.find("\r\n0\r\n\r\n") != std::string::npos; }, 5s);
  ASSERT_TRUE(rest) << "the stream must end after the final state";
  EXPECT_NE(rest->find("id: 3\nevent: status\ndata: {"), std::string::npos) << *rest;
  EXPECT_NE(rest->find("\"state\":\"succeeded\""), std::string::npos);
}

TEST_F(JobRoutesTest, RetryRequeuesAFailedJobAndRefusesOthers) {
  engine_.put(make_job("job_f", "anonymous", jobs::JobState::kFailed));
  engine_.put(make_job("job_r", "anonymous", jobs::JobState::kRunning));
  engine_.put(make_job("job_b", "bob", jobs::JobState::kFailed));

  auto retried = call(request_text("POST", "/jobs/job_f/retry"));
  ASSERT_TRUE(retried);
  EXPECT_EQ(retried->result_int(), 202U) << retried->body();
  const json accepted = json::parse(retried->body());
  EXPECT_EQ(accepted["job_id"], "job_f");
  EXPECT_EQ(accepted["status"], "accepted");
  EXPECT_EQ(accepted["track_url"], "http://127.0.0.1:8765/jobs/job_f");
  EXPECT_EQ((*retried)[boost::beast::http::field::location], "/jobs/job_f");

  auto running = call(request_text("POST", "/jobs/job_r/retry"));
  ASSERT_TRUE(running);
  EXPECT_EQ(running->result_int(), 409U);
  EXPECT_NE(running->body().find("only failed or interrupted jobs can be retried"),
            std::string::npos);

  auto foreign = call(request_text("POST", "/jobs/job_b/retry"));
  ASSERT_TRUE(foreign);
  EXPECT_EQ(foreign->result_int(), 404U) << "another principal's job is not even seen";

  auto get = call(request_text("GET", "/jobs/job_f/retry"));
  ASSERT_TRUE(get);
  EXPECT_EQ(get->result_int(), 405U);
}

TEST_F(JobRoutesTest, UploadIsAccepted202WithTrackUrl) {
  const std::string body = upload_body(
      "hello world",
      "--B\r\nContent-Disposition: form-data; name=\"doc_type\"\r\n\r\ntxt\r\n"
      "--B\r\nContent-Disposition: form-data; name=\"metadata\"\r\n\r\n{\"team\":\"docs\"}\r\n");
  auto answer = call(
      request_text("POST", "/ingest", "Content-Type: multipart/form-data; boundary=B\r\n", body));
  ASSERT_TRUE(answer);
  EXPECT_EQ(answer->result_int(), 202U) << answer->body();
  const json accepted = json::parse(answer->body());
  EXPECT_EQ(accepted["status"], "accepted");
  EXPECT_EQ(accepted["job_id"], "job_fake1");
  EXPECT_EQ(accepted["track_url"], "http://127.0.0.1:8765/jobs/job_fake1");
  EXPECT_EQ(accepted["poll_after_s"], 3);
  EXPECT_EQ((*answer)[boost::beast::http::field::location], "/jobs/job_fake1");
  ASSERT_EQ(uploads_.size(), 1U);
  EXPECT_EQ(uploads_[0].filename, "notes.txt");
  EXPECT_EQ(uploads_[0].data, "hello world");
  EXPECT_EQ(uploads_[0].doc_type, "txt");
  EXPECT_EQ(uploads_[0].metadata, (json{{"team", "docs"}}));
  EXPECT_EQ(uploads_[0].caller, "anonymous");
}

TEST_F(JobRoutesTest, BadUploadsSayWhatIsWrong) {
  auto expect_400 = [&](const std::string& type, const std::string& body, std::string_view needle) {
    auto answer = call(request_text("POST", "/ingest", "Content-Type: " + type + "\r\n", body));
    ASSERT_TRUE(answer);
    EXPECT_EQ(answer->result_int(), 400U) << answer->body();
    EXPECT_NE(answer->body().find(needle), std::string::npos) << answer->body();
  };
  expect_400("application/json", "{}", "multipart/form-data");
  expect_400("multipart/form-data; boundary=B",
             "--B\r\nContent-Disposition: form-data; name=\"other\"\r\n\r\nx\r\n--B--\r\n",
             "needs a file part");
  expect_400("multipart/form-data; boundary=B",
             upload_body("x",
                         "--B\r\nContent-Disposition: form-data; name=\"doc_type\"\r\n\r\n"
                         "xlsx\r\n"),
             "doc_type must be one of");
  expect_400("multipart/form-data; boundary=B",
             upload_body("x",
                         "--B\r\nContent-Disposition: form-data; name=\"metadata\"\r\n\r\n"
                         "[1]\r\n"),
             "metadata must be a JSON object");
  EXPECT_TRUE(uploads_.empty());

  engine_.refuse_submits = true;
  auto busy = call(request_text(
      "POST", "/ingest", "Content-Type: multipart/form-data; boundary=B\r\n", upload_body("x")));
  ASSERT_TRUE(busy);
  EXPECT_EQ(busy->result_int(), 503U);
  EXPECT_EQ((*busy)[boost::beast::http::field::retry_after], "5");
}

class JobRoutesWithAuthTest : public JobRoutesTest {
 protected:
  static config::ServerConfig with_tokens() {
    config::ServerConfig server;
    server.auth_tokens = {config::Secret{"alice-key"}, config::Secret{"bob-key"}};
    return server;
  }
  JobRoutesWithAuthTest() : JobRoutesTest(with_tokens()) {}
};

TEST_F(JobRoutesWithAuthTest, AJobIsVisibleOnlyToWhoeverSubmittedIt) {
  engine_.put(make_job("job_x", "token-1"));
  auto anonymous = call(request_text("GET", "/jobs/job_x"));
  ASSERT_TRUE(anonymous);
  EXPECT_EQ(anonymous->result_int(), 401U);

  auto owner = call(request_text("GET", "/jobs/job_x", "Authorization: Bearer alice-key\r\n"));
  ASSERT_TRUE(owner);
  EXPECT_EQ(owner->result_int(), 200U);

  for (const char* method : {"GET", "DELETE"}) {
    auto other = call(request_text(method, "/jobs/job_x", "Authorization: Bearer bob-key\r\n"));
    ASSERT_TRUE(other);
    EXPECT_EQ(other->result_int(), 404U) << method << ": another caller must not see it";
  }
  auto events =
      call(request_text("GET", "/jobs/job_x/events", "Authorization: Bearer bob-key\r\n"));
  ASSERT_TRUE(events);
  EXPECT_EQ(events->result_int(), 404U);
}

}  // namespace
}  // namespace shield::app

#include "shield/tools/ingest_doc.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>

#include <boost/asio/thread_pool.hpp>

#include "shield/ingest/upload_store.hpp"
#include "shield/mcp/in_memory_task_store.hpp"
#include "shield/mcp/schema_validator.hpp"
#include "shield/util/base64.hpp"
#include "tool_test_support.hpp"
#include "unit/app/fake_job_engine.hpp"

namespace shield::tools {
namespace {

using mcp::Json;

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

class IngestDoc : public testing::ToolFixture {
 protected:
  IngestDoc()
      : state_dir_(std::filesystem::temp_directory_path() /
                   ("ingest-doc-test-" + std::to_string(::getpid()) + "-" +
                    ::testing::UnitTest::GetInstance()->current_test_info()->name())),
        uploads_(ingest::UploadStoreOptions{.state_dir = state_dir_,
                                            .max_upload_bytes = ingest::kInlineUploadMaxBytes + 64},
                 pool_.get_executor()) {
    IngestDocDependencies dependencies;
    dependencies.engine = &engine_;
    dependencies.uploads = &uploads_;
    dependencies.tasks = mcp::InMemoryTaskStore::create(io_.get_executor(), SystemClock::instance(),
                                                        mcp::InMemoryTaskStoreOptions{});
    dependencies.base_url = [] { return std::string("http://h:1"); };
    const auto added = registry_.add_tool(make_ingest_doc(std::move(dependencies)));
    EXPECT_TRUE(added) << added.error().message;
  }
  ~IngestDoc() override {
    pool_.join();
    std::error_code ignored;
    std::filesystem::remove_all(state_dir_, ignored);
  }

  std::size_t stored_uploads() const {
    if (!std::filesystem::exists(uploads_.directory())) return 0;
    return static_cast<std::size_t>(
        std::distance(std::filesystem::directory_iterator(uploads_.directory()), {}));
  }

  std::filesystem::path state_dir_;
  boost::asio::thread_pool pool_{1};
  ingest::UploadStore uploads_;
  app::testing::FakeJobEngine engine_;
  mcp::Registry registry_;
};

TEST_F(IngestDoc, AcceptsAtOnceWithAJobThatCarriesASmallDocumentInline) {
  const auto result = call(registry_, "ingest_doc",
                           Json{{"content_base64", "IyBIZWxsbwo="},  // "# Hello\n"
                                {"filename", "hello.md"},
                                {"doc_type", "md"},
                                {"metadata", {{"team", "docs"}}}});
  ASSERT_FALSE(result.is_error) << result.content.dump();
  ASSERT_TRUE(result.structured);
  EXPECT_EQ(*result.structured, (Json{{"job_id", "job_fake1"},
                                      {"status", "accepted"},
                                      {"kind", "ingest"},
                                      {"track_url", "http://h:1/jobs/job_fake1"},
                                      {"poll_after_s", 3}}));
  EXPECT_NE(result.content[0]["text"].get<std::string>().find("job_fake1"), std::string::npos);
  ASSERT_EQ(engine_.submitted.size(), 1U);
  const Json& input = engine_.submitted[0].input;
  EXPECT_EQ(input["filename"], "hello.md");
  EXPECT_EQ(input["doc_type"], "md");
  EXPECT_EQ(input["metadata"], (Json{{"team", "docs"}}));
  // Small: inside the job's input, made durable by the journal's commit; no file.
  EXPECT_EQ(input["source"], (Json{{"inline", "IyBIZWxsbwo="}}));
  EXPECT_EQ(stored_uploads(), 0U);
}

TEST_F(IngestDoc, ALargeDocumentIsStoredDurablyAsAFile) {
  const std::string big(ingest::kInlineUploadMaxBytes + 1, 'a');
  const auto result = call(registry_, "ingest_doc",
                           Json{{"content_base64", encode_base64(big)}, {"filename", "big.txt"}});
  ASSERT_FALSE(result.is_error) << result.content.dump();
  const Json& source = engine_.submitted.at(0).input["source"];
  ASSERT_TRUE(source.contains("upload")) << source.dump();
  const std::filesystem::path upload = source["upload"].get<std::string>();
  EXPECT_TRUE(uploads_.owns(upload));
  EXPECT_EQ(read_file(upload), big);
}

TEST_F(IngestDoc, DocTypeDefaultsToAuto) {
  const auto result =
      call(registry_, "ingest_doc", Json{{"content_base64", "aGk="}, {"filename", "a.txt"}});
  ASSERT_FALSE(result.is_error);
  EXPECT_EQ(engine_.submitted.at(0).input["doc_type"], "auto");
  EXPECT_EQ(engine_.submitted.at(0).input["metadata"], Json::object());
}

TEST_F(IngestDoc, BadBase64IsRefusedBeforeAnythingIsStored) {
  const auto result =
      call(registry_, "ingest_doc", Json{{"content_base64", "not base64!"}, {"filename", "a.md"}});
  EXPECT_EQ(testing::error_code(result), "invalid_arguments");
  EXPECT_NE(result.structured->at("error")["message"].get<std::string>().find("not valid Base64"),
            std::string::npos);
  EXPECT_TRUE(engine_.submitted.empty());
  EXPECT_EQ(stored_uploads(), 0U);
}

TEST_F(IngestDoc, TooLargeDocumentNamesTheLimit) {
  const std::string big(ingest::kInlineUploadMaxBytes + 65, 'a');  // one byte over the limit
  const auto result = call(registry_, "ingest_doc",
                           Json{{"content_base64", encode_base64(big)}, {"filename", "a.txt"}});
  EXPECT_EQ(testing::error_code(result), "invalid_arguments");
  EXPECT_NE(
      result.structured->at("error")["message"].get<std::string>().find("jobs.max_upload_bytes"),
      std::string::npos)
      << result.structured->dump();
  EXPECT_TRUE(engine_.submitted.empty());
}

TEST_F(IngestDoc, FullQueueIsBusyAndTheStoredBytesAreRemoved) {
  engine_.refuse_submits = true;
  const std::string big(ingest::kInlineUploadMaxBytes + 1, 'a');  // stored as a file first
  const auto result = call(registry_, "ingest_doc",
                           Json{{"content_base64", encode_base64(big)}, {"filename", "a.txt"}});
  EXPECT_EQ(testing::error_code(result), "busy");
  EXPECT_EQ(stored_uploads(), 0U);
}

TEST_F(IngestDoc, DeclaresOptionalTaskSupportAndHonestHints) {
  const mcp::ToolDefinition* tool = registry_.find_tool("ingest_doc");
  ASSERT_NE(tool, nullptr);
  EXPECT_EQ(tool->execution, (Json{{"taskSupport", "optional"}}));
  EXPECT_EQ(tool->annotations["readOnlyHint"], false);
  EXPECT_EQ(tool->annotations["destructiveHint"], false);
  EXPECT_TRUE(tool->task_starter);
  EXPECT_TRUE(tool->output_schema);
}

TEST_F(IngestDoc, WithoutATaskStoreItIsADirectCallOnly) {
  mcp::Registry registry;
  IngestDocDependencies direct;
  direct.engine = &engine_;
  direct.uploads = &uploads_;
  ASSERT_TRUE(registry.add_tool(make_ingest_doc(direct)));
  const mcp::ToolDefinition* tool = registry.find_tool("ingest_doc");
  ASSERT_NE(tool, nullptr);
  EXPECT_EQ(mcp::task_support(*tool), mcp::TaskSupport::kForbidden);
  EXPECT_FALSE(tool->task_starter);
}

TEST_F(IngestDoc, AnEndedJobReadsAsTheToolsResultInItsOutputSchema) {
  const mcp::ToolDefinition* tool = registry_.find_tool("ingest_doc");
  ASSERT_NE(tool, nullptr);
  auto schema = mcp::SchemaValidator::compile(*tool->output_schema);
  ASSERT_TRUE(schema) << schema.error().message;

  jobs::Job job;
  job.id = "job_done";
  job.kind = jobs::JobKind::kIngest;
  job.state = jobs::JobState::kSucceeded;
  job.result = Json{{"documents", 2}, {"delivered", 2}, {"sink", "directory"}};
  const auto done = ingest_job_result(job, "http://h:1", 2);
  EXPECT_FALSE(done.is_error);
  ASSERT_TRUE(done.structured);
  EXPECT_EQ((*done.structured)["status"], "succeeded");
  EXPECT_EQ((*done.structured)["result"]["delivered"], 2);
  EXPECT_EQ((*done.structured)["track_url"], "http://h:1/jobs/job_done");
  EXPECT_FALSE((*schema)->validate(*done.structured)) << done.structured->dump();
  EXPECT_NE(done.content[0]["text"].get<std::string>().find("2 of 2 document(s)"),
            std::string::npos);

  job.state = jobs::JobState::kFailed;
  job.error = jobs::JobError{"failed_precondition", "PDF extraction is not available yet"};
  const auto failed = ingest_job_result(job, "http://h:1", 2);
  EXPECT_TRUE(failed.is_error);
  EXPECT_EQ(testing::error_code(failed), "failed_precondition");
  EXPECT_NE(failed.structured->at("error")["message"].get<std::string>().find("PDF extraction"),
            std::string::npos);
  EXPECT_FALSE((*schema)->validate(*failed.structured)) << failed.structured->dump();

  job.state = jobs::JobState::kCancelled;
  job.error.reset();
  EXPECT_EQ(testing::error_code(ingest_job_result(job, "http://h:1", 2)), "cancelled");
}

}  // namespace
}  // namespace shield::tools

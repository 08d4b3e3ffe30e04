#include "shield/ingest/directory_sink.hpp"

#include <gtest/gtest.h>

#include "unit/ingest/ingest_test_support.hpp"

namespace shield::ingest {
namespace {

using testing::file_names;
using testing::Loop;
using testing::make_document;
using testing::read_text;
using testing::TempDir;
using testing::write_text;

std::vector<Json> manifest_lines(const std::filesystem::path& directory) {
  std::vector<Json> out;
  std::istringstream in(read_text(directory / "manifest.jsonl"));
  for (std::string line; std::getline(in, line);) out.push_back(Json::parse(line));
  return out;
}

class DirectorySinkTest : public ::testing::Test {
 protected:
  DirectorySink make(const std::filesystem::path& directory) {
    return DirectorySink(directory, loop_.blocking(), clock_);
  }

  TempDir dir_;
  Loop loop_;
  ManualClock clock_;
};

TEST_F(DirectorySinkTest, WritesMarkdownWithFrontMatterAndAManifestLine) {
  DirectorySink sink = make(dir_.path() / "out");
  Document page = make_document("https://a.example/guide", "# Guide\n\nText.");
  page.title = "Guide: \"quoted\"\nsecond line";
  page.metadata = Json{{"depth", 1}, {"lang", "en"}};
  const Document upload = make_document("upload:notes.txt", "日本語のメモ");
  const auto receipt = loop_.run(sink.deliver({page, upload}, {}));
  ASSERT_TRUE(receipt) << receipt.error().message;
  EXPECT_EQ(receipt->accepted, 2U);
  const std::string page_file = page.id + ".md";
  EXPECT_EQ(receipt->details["files"], Json::array({page_file, upload.id + ".md"}));

  EXPECT_EQ(read_text(dir_.path() / "out" / page_file),
            "---\n"
            "id: \"" +
                page.id +
                "\"\n"
                "source: \"https://a.example/guide\"\n"
                "title: \"Guide: \\\"quoted\\\"\\nsecond line\"\n"
                "content_type: \"text/html\"\n"
                "job_id: \"job_test\"\n"
                "metadata: {\"depth\":1,\"lang\":\"en\"}\n"
                "---\n\n"
                "# Guide\n\nText.\n");
  EXPECT_TRUE(
      read_text(dir_.path() / "out" / (upload.id + ".md")).ends_with("\n---\n\n日本語のメモ\n"));

  const auto lines = manifest_lines(dir_.path() / "out");
  ASSERT_EQ(lines.size(), 2U);
  EXPECT_EQ(lines[0]["id"], page.id);
  EXPECT_EQ(lines[0]["file"], page_file);
  EXPECT_EQ(lines[0]["source"], "https://a.example/guide");
  EXPECT_EQ(lines[0]["job_id"], "job_test");
  EXPECT_EQ(lines[0]["metadata"], page.metadata);
  EXPECT_EQ(lines[0]["bytes"], read_text(dir_.path() / "out" / page_file).size());
  EXPECT_EQ(lines[0]["written_at"], "2023-11-14T22:13:20.000Z");  // the ManualClock's epoch
  EXPECT_EQ(lines[1]["source"], "upload:notes.txt");
}

TEST_F(DirectorySinkTest, DeliveringAgainReplacesTheFileAndAppendsALine) {
  DirectorySink sink = make(dir_.path());
  Document page = make_document("https://a.example/", "first");
  ASSERT_TRUE(loop_.run(sink.deliver({page}, {})));
  page.markdown = "second, longer";
  clock_.advance(std::chrono::seconds(90));
  ASSERT_TRUE(loop_.run(sink.deliver({page}, {})));
  EXPECT_TRUE(read_text(dir_.path() / (page.id + ".md")).ends_with("\n\nsecond, longer\n"));
  const auto lines = manifest_lines(dir_.path());
  ASSERT_EQ(lines.size(), 2U);
  EXPECT_EQ(lines[1]["written_at"], "2023-11-14T22:14:50.000Z");
  EXPECT_GT(lines[1]["bytes"].get<int>(), lines[0]["bytes"].get<int>());
  // Only the document and the manifest: no temporary files left behind.
  EXPECT_EQ(file_names(dir_.path()), (std::vector<std::string>{page.id + ".md", "manifest.jsonl"}));
}

TEST_F(DirectorySinkTest, AnIdCannotWriteOutsideTheDirectory) {
  DirectorySink sink = make(dir_.path() / "out");
  Document page = make_document("https://a.example/", "x");
  page.id = "../../escaped";
  ASSERT_TRUE(loop_.run(sink.deliver({page}, {})));
  EXPECT_EQ(file_names(dir_.path()), std::vector<std::string>{"out"});
  EXPECT_TRUE(
      std::filesystem::exists(dir_.path() / "out" / (document_id("../../escaped") + ".md")));
  EXPECT_EQ(manifest_lines(dir_.path() / "out")[0]["id"], "../../escaped");
}

TEST_F(DirectorySinkTest, DiskTroubleIsABackendErrorNamingThePath) {
  write_text(dir_.path() / "taken", "a file where the directory should be");
  DirectorySink sink = make(dir_.path() / "taken" / "out");
  const auto receipt = loop_.run(sink.deliver({make_document("s", "x")}, {}));
  ASSERT_FALSE(receipt);
  EXPECT_EQ(receipt.error().code, backend::BackendErrorCode::kUnavailable);
  EXPECT_EQ(receipt.error().backend, "directory");
  EXPECT_NE(receipt.error().message.find((dir_.path() / "taken" / "out").string()),
            std::string::npos);
}

TEST_F(DirectorySinkTest, ACancelledDeliveryWritesNothing) {
  DirectorySink sink = make(dir_.path() / "out");
  CancellationSource source;
  source.cancel("shutdown");
  const auto receipt = loop_.run(sink.deliver({make_document("s", "x")}, source.token()));
  ASSERT_FALSE(receipt);
  EXPECT_EQ(receipt.error().code, backend::BackendErrorCode::kCancelled);
  EXPECT_FALSE(std::filesystem::exists(dir_.path() / "out"));
}

TEST_F(DirectorySinkTest, HasNoRemoteJobs) {
  DirectorySink sink = make(dir_.path());
  const auto status = loop_.run(sink.remote_status("x", {}));
  ASSERT_TRUE(status);
  EXPECT_EQ((*status)["state"], "done");
}

}  // namespace
}  // namespace shield::ingest

#include "shield/ingest/document_spool.hpp"

#include <gtest/gtest.h>

#include "unit/ingest/ingest_test_support.hpp"

namespace shield::ingest {
namespace {

using testing::file_names;
using testing::make_document;
using testing::read_text;
using testing::TempDir;
using testing::write_text;

std::unique_ptr<DocumentSpool> open_spool(const std::filesystem::path& directory) {
  auto spool = DocumentSpool::open(directory);
  if (!spool) {
    ADD_FAILURE() << spool.error().message;
    return nullptr;
  }
  return std::move(*spool);
}

std::vector<std::string> sources_in(const DocumentSpool& spool) {
  std::vector<std::string> out;
  for (const auto& entry : spool.list()) {
    auto document = spool.read(entry);
    out.push_back(document ? document->source : "<" + document.error().message + ">");
  }
  return out;
}

TEST(DocumentSpool, KeepsDocumentsInOrderAsJsonFiles) {
  TempDir dir;
  const auto spool = open_spool(dir.path() / "jobs" / "job_1" / "documents");
  ASSERT_TRUE(spool);
  for (const char* source : {"https://b.example/", "https://a.example/", "upload:c.pdf"}) {
    ASSERT_TRUE(spool->put(make_document(source, std::string("# ") + source)));
  }
  EXPECT_EQ(sources_in(*spool),
            (std::vector<std::string>{"https://b.example/", "https://a.example/", "upload:c.pdf"}));
  const auto entries = spool->list();
  ASSERT_EQ(entries.size(), 3U);
  EXPECT_EQ(entries[0].path.filename().string(),
            "0000000000000001-" + document_id("https://b.example/") + ".json");
  EXPECT_EQ(entries[2].sequence, 3U);
  // The file is the document's JSON, so a person (or a later version) can read it.
  const Json stored = Json::parse(read_text(entries[1].path));
  EXPECT_EQ(stored.at("source"), "https://a.example/");
  EXPECT_EQ(stored.at("markdown"), "# https://a.example/");
  EXPECT_EQ(spool->size(), 3U);
}

TEST(DocumentSpool, FillsAMissingIdFromTheSource) {
  TempDir dir;
  const auto spool = open_spool(dir.path());
  Document document = make_document("https://example.com/a", "text");
  document.id.clear();
  const auto entry = spool->put(document);
  ASSERT_TRUE(entry);
  EXPECT_EQ(entry->key, "4f1bcceb-3e3c-5f0c-a9aa-293ca7e4db4b");
  EXPECT_EQ(spool->read(*entry)->id, "4f1bcceb-3e3c-5f0c-a9aa-293ca7e4db4b");
}

TEST(DocumentSpool, PuttingAnIdAgainReplacesItInPlace) {
  TempDir dir;
  const auto spool = open_spool(dir.path());
  ASSERT_TRUE(spool->put(make_document("https://a/", "first")));
  ASSERT_TRUE(spool->put(make_document("https://b/", "b")));
  ASSERT_TRUE(spool->put(make_document("https://a/", "second")));
  const auto entries = spool->list();
  ASSERT_EQ(entries.size(), 2U);
  EXPECT_EQ(spool->read(entries[0])->markdown, "second");
  EXPECT_EQ(entries[0].sequence, 1U);
  EXPECT_EQ(file_names(dir.path()).size(), 2U);
}

TEST(DocumentSpool, SurvivesARestartAndContinuesTheOrder) {
  TempDir dir;
  {
    const auto spool = open_spool(dir.path());
    for (const char* source : {"s1", "s2", "s3"})
      ASSERT_TRUE(spool->put(make_document(source, source)));
    const auto entries = spool->list();
    ASSERT_TRUE(spool->remove({entries[0]}));
  }
  // A new process: a crash left a half-written temporary file and someone dropped a note.
  write_text(dir.path() / ".tmp-0000000000000009-x.json-123-0", "{\"id\":");
  write_text(dir.path() / "README.txt", "not a document");
  const auto spool = open_spool(dir.path());
  EXPECT_EQ(sources_in(*spool), (std::vector<std::string>{"s2", "s3"}));
  const auto added = spool->put(make_document("s4", "s4"));
  ASSERT_TRUE(added);
  EXPECT_EQ(added->sequence, 4U);
  EXPECT_EQ(sources_in(*spool), (std::vector<std::string>{"s2", "s3", "s4"}));
  const auto names = file_names(dir.path());
  EXPECT_EQ(std::count_if(names.begin(), names.end(),
                          [](const std::string& n) { return n.starts_with(".tmp-"); }),
            0);
  EXPECT_NE(std::find(names.begin(), names.end(), "README.txt"), names.end());
}

TEST(DocumentSpool, RemoveDeletesTheFilesAndToleratesMissingOnes) {
  TempDir dir;
  const auto spool = open_spool(dir.path());
  for (const char* source : {"s1", "s2"}) ASSERT_TRUE(spool->put(make_document(source, source)));
  const auto entries = spool->list();
  std::filesystem::remove(entries[1].path);
  ASSERT_TRUE(spool->remove(entries));
  EXPECT_EQ(spool->size(), 0U);
  EXPECT_TRUE(file_names(dir.path()).empty());
}

TEST(DocumentSpool, ContentPutDuringADeliveryIsNotRemovedWithTheOldOne) {
  TempDir dir;
  const auto spool = open_spool(dir.path());
  ASSERT_TRUE(spool->put(make_document("https://a/", "old")));
  const auto listed = spool->list();                            // a delivery takes "old"...
  ASSERT_TRUE(spool->put(make_document("https://a/", "new")));  // ...the crawler re-extracts
  ASSERT_TRUE(spool->remove(listed));                           // the delivery of "old" finishes
  const auto left = spool->list();
  ASSERT_EQ(left.size(), 1U);
  EXPECT_EQ(spool->read(left[0])->markdown, "new");
  ASSERT_TRUE(spool->remove(left));
  EXPECT_EQ(spool->size(), 0U);
}

TEST(DocumentSpool, SetsAsideFilesThatAreNotDocuments) {
  TempDir dir;
  const auto spool = open_spool(dir.path());
  for (const char* source : {"s1", "s2"}) ASSERT_TRUE(spool->put(make_document(source, source)));
  auto entries = spool->list();
  write_text(entries[0].path, "{\"id\": \"x\"}");  // valid JSON, not a document
  const auto bad = spool->read(entries[0]);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, ErrorCode::kInternal);
  EXPECT_NE(bad.error().message.find(entries[0].path.string()), std::string::npos);
  write_text(entries[1].path, "garbage");
  EXPECT_EQ(spool->read(entries[1]).error().code, ErrorCode::kInternal);

  ASSERT_TRUE(spool->quarantine(entries[0]));
  EXPECT_EQ(spool->size(), 1U);
  EXPECT_TRUE(std::filesystem::exists(entries[0].path.string() + ".corrupt"));
  const auto reopened = open_spool(dir.path());
  EXPECT_EQ(reopened->size(), 1U);  // the .corrupt file is not listed again
}

TEST(DocumentSpool, IdsCannotNameFilesOutsideTheDirectory) {
  TempDir dir;
  const auto spool = open_spool(dir.path() / "spool");
  Document document = make_document("https://a/", "x");
  document.id = "../../escape";
  const auto entry = spool->put(document);
  ASSERT_TRUE(entry);
  EXPECT_EQ(entry->path.parent_path(), dir.path() / "spool");
  EXPECT_EQ(entry->key, document_id("../../escape"));
  EXPECT_EQ(spool->read(*entry)->id, "../../escape");
  EXPECT_EQ(file_names(dir.path()), std::vector<std::string>{"spool"});
}

TEST(DocumentSpool, ReportsADirectoryItCannotUse) {
  TempDir dir;
  write_text(dir.path() / "a-file", "x");
  const auto spool = DocumentSpool::open(dir.path() / "a-file" / "documents");
  ASSERT_FALSE(spool);
  EXPECT_EQ(spool.error().code, ErrorCode::kUnavailable);
  EXPECT_NE(spool.error().message.find("a-file"), std::string::npos);
}

TEST(DocumentSpool, KeepsTextThatIsNotUtf8Readable) {
  TempDir dir;
  const auto spool = open_spool(dir.path());
  ASSERT_TRUE(spool->put(make_document("s", "bad \xFF byte")));
  const auto document = spool->read(spool->list().front());
  ASSERT_TRUE(document);
  EXPECT_EQ(document->markdown, "bad \xEF\xBF\xBD byte");  // replaced by U+FFFD, not lost
}

}  // namespace
}  // namespace shield::ingest

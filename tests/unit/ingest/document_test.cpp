#include "shield/ingest/document.hpp"

#include <gtest/gtest.h>

#include "shield/ingest/document_id.hpp"

namespace shield::ingest {
namespace {

Document sample() {
  Document document;
  document.id = "4f1bcceb-3e3c-5f0c-a9aa-293ca7e4db4b";
  document.source = "https://example.com/a";
  document.title = "Grüße: \"quoted\"\nand a second line";
  document.content_type = "text/html";
  document.markdown = "# Über\n\n日本語のテキスト 😀\n";
  document.job_id = "job_ABC";
  document.metadata = Json{{"depth", 2}, {"tags", {"a", "b"}}, {"nested", {{"x", nullptr}}}};
  return document;
}

TEST(DocumentJson, RoundTripsEveryField) {
  const Document original = sample();
  const Json json = original.to_json();
  EXPECT_EQ(json.at("id"), original.id);
  EXPECT_EQ(json.at("source"), original.source);
  EXPECT_EQ(json.at("markdown"), original.markdown);
  EXPECT_EQ(json.at("metadata").at("tags"), Json({"a", "b"}));
  // Through text, as the spool stores it.
  const auto back = Document::from_json(Json::parse(json.dump()));
  ASSERT_TRUE(back);
  EXPECT_EQ(back->id, original.id);
  EXPECT_EQ(back->source, original.source);
  EXPECT_EQ(back->title, original.title);
  EXPECT_EQ(back->content_type, original.content_type);
  EXPECT_EQ(back->markdown, original.markdown);
  EXPECT_EQ(back->job_id, original.job_id);
  EXPECT_EQ(back->metadata, original.metadata);
}

TEST(DocumentJson, RefusesMissingFieldsAndWrongTypes) {
  const Json good = sample().to_json();
  for (const char* field :
       {"id", "source", "title", "content_type", "markdown", "job_id", "metadata"}) {
    Json missing = good;
    missing.erase(field);
    EXPECT_FALSE(Document::from_json(missing)) << "accepted a document without " << field;
    Json wrong = good;
    wrong[field] = 42;
    EXPECT_FALSE(Document::from_json(wrong)) << "accepted a number as " << field;
  }
  Json array_metadata = good;
  array_metadata["metadata"] = Json::array();
  EXPECT_FALSE(Document::from_json(array_metadata));
  EXPECT_FALSE(Document::from_json(Json::array()));
  EXPECT_FALSE(Document::from_json(Json("text")));
}

// Reference values from Python: uuid.uuid5(uuid.UUID(kDocumentIdNamespace), name).
TEST(DocumentId, IsTheVersion5UuidOfTheSource) {
  EXPECT_EQ(document_id("https://example.com/a"), "4f1bcceb-3e3c-5f0c-a9aa-293ca7e4db4b");
  EXPECT_EQ(document_id("https://example.com/a"), document_id("https://example.com/a"));
  EXPECT_NE(document_id("https://example.com/a"), document_id("https://example.com/b"));
}

TEST(DocumentId, ChunkPointIdsDependOnSourceAndIndex) {
  EXPECT_EQ(chunk_point_id("https://example.com/a", 0), "33c2def5-af89-5629-b59e-ca3f239f1d34");
  EXPECT_EQ(chunk_point_id("https://example.com/a", 1), "a310d8b5-591b-5d9b-9277-7b8111b2832c");
  EXPECT_NE(chunk_point_id("https://example.com/b", 0), chunk_point_id("https://example.com/a", 0));
}

TEST(DocumentId, FileKeysNeverLeaveTheDirectory) {
  EXPECT_EQ(document_file_key("4f1bcceb-3e3c-5f0c-a9aa-293ca7e4db4b"),
            "4f1bcceb-3e3c-5f0c-a9aa-293ca7e4db4b");
  EXPECT_EQ(document_file_key("plain_id-2"), "plain_id-2");
  EXPECT_EQ(document_file_key("../etc/passwd"), "6365e5a9-c426-5075-9562-83e4dd784db9");
  EXPECT_EQ(document_file_key(""), document_id(""));
  EXPECT_EQ(document_file_key(std::string(65, 'a')), document_id(std::string(65, 'a')));
  EXPECT_EQ(document_file_key(std::string(64, 'a')), std::string(64, 'a'));
  EXPECT_EQ(document_file_key("a.b"), document_id("a.b"));
}

}  // namespace
}  // namespace shield::ingest

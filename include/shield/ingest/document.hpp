#pragma once
// A document: what an extractor (crawler page, PDF, DOCX, text upload) produces and a sink
// receives. Plain value; serialised to JSON for the spool, so a sink outage loses nothing.
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace shield::ingest {

using Json = nlohmann::json;

struct Document {
  // Stable per source: a hash of `source`, so re-ingesting the same URL or path replaces
  // what the sinks hold instead of adding a copy.
  std::string id;
  std::string source;  // the URL or path it came from (for uploads: "upload:<filename>")
  std::string title;
  std::string content_type;  // of the original: "text/html", "application/pdf", ...
  std::string markdown;      // the extracted text, as Markdown
  std::string job_id;        // the job that produced it
  // Everything else: the caller's metadata plus the extractor's (final_url, status,
  // fetched_at, depth, language, page_count, author, ...). Sinks pass it through.
  Json metadata = Json::object();

  [[nodiscard]] Json to_json() const;
  // Refuses JSON that lacks a field or has one of the wrong type (a corrupt spool file).
  [[nodiscard]] static std::optional<Document> from_json(const Json& json);
};

}  // namespace shield::ingest

#include "shield/ingest/document.hpp"

#include <array>
#include <string_view>
#include <utility>

namespace shield::ingest {

Json Document::to_json() const {
  return Json{{"id", id},
              {"source", source},
              {"title", title},
              {"content_type", content_type},
              {"markdown", markdown},
              {"job_id", job_id},
              {"metadata", metadata}};
}

std::optional<Document> Document::from_json(const Json& json) {
  if (!json.is_object()) return std::nullopt;
  Document document;
  const std::array<std::pair<std::string_view, std::string*>, 6> texts = {{
      {"id", &document.id},
      {"source", &document.source},
      {"title", &document.title},
      {"content_type", &document.content_type},
      {"markdown", &document.markdown},
      {"job_id", &document.job_id},
  }};
  for (const auto& [key, field] : texts) {
    const auto found = json.find(key);
    if (found == json.end() || !found->is_string()) return std::nullopt;
    *field = found->get<std::string>();
  }
  const auto metadata = json.find("metadata");
  if (metadata == json.end() || !metadata->is_object()) return std::nullopt;
  document.metadata = *metadata;
  return document;
}

}  // namespace shield::ingest

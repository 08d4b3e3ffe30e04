#include "shield/tools/qdrant_find.hpp"

#include <utility>

#include <fmt/format.h>

#include "shield/backend/embedder.hpp"
#include "shield/tools/backend_failure.hpp"
#include "shield/tools/metadata_filter.hpp"
#include "shield/tools/output_schema.hpp"
#include "shield/tools/tool_annotations.hpp"

namespace shield::tools {
namespace {

using mcp::Json;
using mcp::ToolResult;

constexpr std::size_t kDefaultLimit = 5;
constexpr std::size_t kMaxLimit = 100;
constexpr std::size_t kMaxOffset = 10'000;
constexpr std::size_t kMaxQueryLength = 10'000;
constexpr std::size_t kTextPreview = 1'000;  // characters of a document shown in the text block

Json input_schema(const QdrantToolSettings& settings) {
  Json collection{{"type", "string"}, {"minLength", 1}, {"maxLength", 255}};
  collection["description"] =
      settings.collection_locked
          ? fmt::format("Fixed to '{}' by the server configuration; leave it out.",
                        settings.collection)
          : fmt::format("The collection to search (default '{}').", settings.collection);
  Json filter{{"type", "object"}};
  filter["description"] =
      settings.allow_arbitrary_filters
          ? "Optional Qdrant filter on the stored metadata: {must|should|must_not: [conditions]}, "
            "a condition being {key: \"metadata.<field>\", match: {value|any|except|text}} or "
            "{key: \"metadata.<field>\", range: {gt|gte|lt|lte}}. Example: {\"must\": [{\"key\": "
            "\"metadata.lang\", \"match\": {\"value\": \"en\"}}]}."
          : "Filters are disabled on this server; leave it out.";
  return Json{{"type", "object"},
              {"additionalProperties", false},
              {"required", {"query"}},
              {"properties",
               {{"query",
                 {{"type", "string"},
                  {"minLength", 1},
                  {"maxLength", kMaxQueryLength},
                  {"description", "What to look for, in natural language."}}},
                {"limit",
                 {{"type", "integer"},
                  {"minimum", 1},
                  {"maximum", kMaxLimit},
                  {"default", kDefaultLimit},
                  {"description", "How many results to return."}}},
                {"offset",
                 {{"type", "integer"},
                  {"minimum", 0},
                  {"maximum", kMaxOffset},
                  {"default", 0},
                  {"description", "Results to skip, for the next page."}}},
                {"score_threshold",
                 {{"type", "number"},
                  {"description",
                   "Only results scoring at least this (for Cosine: -1 to 1, higher is closer)."}}},
                {"filter", std::move(filter)},
                {"collection", std::move(collection)}}}};
}

Json output_schema() {
  return Json{{"type", "object"},
              {"additionalProperties", false},
              {"required", {"collection", "results"}},
              {"properties",
               {{"collection", {{"type", "string"}}},
                {"results",
                 {{"type", "array"},
                  {"items",
                   {{"type", "object"},
                    {"additionalProperties", false},
                    {"required", {"id", "score", "document", "metadata"}},
                    {"properties",
                     {{"id", {{"type", {"string", "integer"}}}},
                      {"score", {{"type", "number"}}},
                      {"document", {{"type", "string"}}},
                      {"metadata", {{"type", "object"}}}}}}}}},
                {"note", {{"type", "string"}}}}}};
}

std::string missing_note(const std::string& collection) {
  return fmt::format(
      "Collection '{}' does not exist yet, so nothing was found; qdrant_store "
      "creates it when the first entry is stored.",
      collection);
}

ToolResult answer(Json result) {
  ToolResult out = ToolResult::text(find_result_text(result));
  out.structured = std::move(result);
  return out;
}

boost::asio::awaitable<ToolResult> find(QdrantFindDependencies deps, Json arguments,
                                        mcp::ToolContext context) {
  QdrantCollections& collections = *deps.collections;
  backend::Embedder& embedder = *deps.embedder;
  const CancellationToken cancel = context.cancel;

  auto collection = collections.choose(arguments);
  if (!collection) co_return std::move(collection.error());

  backend::PointQuery query;
  query.limit = arguments.value("limit", kDefaultLimit);
  query.offset = arguments.value("offset", std::size_t{0});
  if (const auto threshold = arguments.find("score_threshold");
      threshold != arguments.end() && threshold->is_number()) {
    query.score_threshold = threshold->get<double>();
  }
  if (const auto filter = arguments.find("filter"); filter != arguments.end()) {
    if (!collections.settings().allow_arbitrary_filters) {
      co_return ToolResult::error(
          "filter_not_allowed",
          "filters are disabled on this server (qdrant allow_arbitrary_filters = false); search "
          "again without `filter`");
    }
    if (auto valid = validate_metadata_filter(*filter); !valid) {
      co_return ToolResult::error("invalid_filter", valid.error().message);
    }
    query.filter = *filter;
  }

  if (auto open = co_await collections.refuse_while_open(*collection, cancel); !open) {
    co_return std::move(open.error());
  }
  auto info = co_await collections.describe(*collection, cancel);
  if (!info) co_return std::move(info.error());
  const std::vector<backend::ScoredPoint> none;
  if (!*info) co_return answer(find_result(*collection, none, missing_note(*collection)));
  auto target = collections.select_vector(*collection, **info);
  if (!target) co_return std::move(target.error());

  std::vector<std::string> texts{arguments.at("query").get<std::string>()};
  auto vectors = co_await embedder.embed(std::move(texts), cancel);
  if (!vectors) co_return backend_failure(vectors.error());
  if (auto fits =
          QdrantCollections::check_dimensions(*target, vectors->front().size(), embedder.model());
      !fits) {
    co_return std::move(fits.error());
  }
  query.vector = std::move(vectors->front());
  query.vector_name = target->vector_name;

  auto hits = co_await collections.client().query(*collection, std::move(query), cancel);
  if (!hits) {
    // A refusal may mean the collection changed shape; look again next time.
    if (hits.error().code == backend::BackendErrorCode::kRejected) collections.forget(*collection);
    co_return backend_failure(hits.error());
  }
  if (!*hits) {
    collections.forget(*collection);
    co_return answer(find_result(*collection, none, missing_note(*collection)));
  }
  co_return answer(find_result(*collection, **hits));
}

}  // namespace

Json find_result(const std::string& collection, const std::vector<backend::ScoredPoint>& hits,
                 const std::optional<std::string>& note) {
  Json results = Json::array();
  for (const auto& hit : hits) {
    const Json& payload = hit.payload;
    std::string document;
    Json metadata = Json::object();
    if (const auto doc = payload.find("document"); doc != payload.end() && doc->is_string()) {
      document = doc->get<std::string>();
      if (const auto meta = payload.find("metadata"); meta != payload.end() && meta->is_object()) {
        metadata = *meta;
      }
    } else {
      // Written by another program: show its text, keep the rest as metadata.
      for (const auto& [key, value] : payload.items()) {
        if (key == "text" && value.is_string() && document.empty()) {
          document = value.get<std::string>();
        } else {
          metadata[key] = value;
        }
      }
    }
    // Qdrant ids are unsigned integers or UUID strings; anything else is shown as text.
    const bool plain_id = hit.id.is_string() || (hit.id.is_number_integer() && hit.id >= 0);
    results.push_back(Json{{"id", plain_id ? hit.id : Json(hit.id.dump())},
                           {"score", hit.score},
                           {"document", std::move(document)},
                           {"metadata", std::move(metadata)}});
  }
  Json out{{"collection", collection}, {"results", std::move(results)}};
  if (note) out["note"] = *note;
  return out;
}

std::string find_result_text(const Json& result) {
  const std::string collection = result.value("collection", "");
  const Json& results = result.at("results");
  if (results.empty()) {
    if (result.contains("note")) return result["note"].get<std::string>();
    return fmt::format("No results in collection '{}'.", collection);
  }
  std::string text = fmt::format("{} result{} from collection '{}':\n", results.size(),
                                 results.size() == 1 ? "" : "s", collection);
  std::size_t rank = 0;
  for (const auto& hit : results) {
    std::string document = hit.value("document", "");
    if (document.size() > kTextPreview) {
      std::size_t cut = kTextPreview;
      while (cut > 0 && (static_cast<unsigned char>(document[cut]) & 0xC0U) == 0x80U) --cut;
      document = document.substr(0, cut) + "…";
    }
    const Json& id = hit.at("id");
    text += fmt::format("\n{}. score {:.4f}, id {}\n{}\n", ++rank, hit.value("score", 0.0),
                        id.is_string() ? id.get<std::string>() : id.dump(), document);
    if (!hit.at("metadata").empty()) text += "metadata: " + hit.at("metadata").dump() + "\n";
  }
  return text;
}

mcp::ToolDefinition make_qdrant_find(QdrantFindDependencies dependencies) {
  const QdrantToolSettings& settings = dependencies.collections->settings();
  mcp::ToolDefinition tool;
  tool.name = "qdrant_find";
  tool.title = "Search Qdrant";
  tool.description = fmt::format(
      "Search the Qdrant vector database by meaning: returns the stored entries closest to "
      "`query`, best first, each with its score, text (document) and metadata. Narrow with "
      "`filter` on metadata fields, page with `limit` and `offset`. Default collection: '{}'.",
      settings.collection);
  tool.input_schema = input_schema(settings);
  tool.output_schema = output_schema_with_error(output_schema());
  tool.annotations = tool_annotations(tool.title, {.read_only = true});
  tool.handler = [deps = std::move(dependencies)](Json arguments, mcp::ToolContext context) {
    return find(deps, std::move(arguments), std::move(context));
  };
  return tool;
}

}  // namespace shield::tools

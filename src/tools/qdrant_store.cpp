#include "shield/tools/qdrant_store.hpp"

#include <map>
#include <utility>

#include <fmt/format.h>

#include "shield/backend/embedder.hpp"
#include "shield/tools/backend_failure.hpp"
#include "shield/tools/output_schema.hpp"
#include "shield/tools/point_id.hpp"
#include "shield/tools/tool_annotations.hpp"

namespace shield::tools {
namespace {

using mcp::Json;
using mcp::ToolResult;

// Entries embedded and upserted per step; also the progress granularity.
constexpr std::size_t kStepEntries = 64;
constexpr std::size_t kMaxEntries = 1000;
constexpr std::size_t kMaxTextLength = 200'000;

Json entry_schema() {
  return Json{{"type", "string"},
              {"minLength", 1},
              {"maxLength", kMaxTextLength},
              {"description", "The text to store; it is embedded and returned by qdrant_find."}};
}

Json metadata_schema() {
  return Json{
      {"type", "object"},
      {"description",
       "Any JSON object stored with the text (e.g. {\"source\": \"...\", \"tags\": [...]}); "
       "qdrant_find can filter on it as metadata.<field>."}};
}

Json input_schema(const QdrantToolSettings& settings) {
  Json collection{{"type", "string"}, {"minLength", 1}, {"maxLength", 255}};
  collection["description"] =
      settings.collection_locked
          ? fmt::format("Fixed to '{}' by the server configuration; leave it out.",
                        settings.collection)
          : fmt::format("The collection to store into (default '{}'); created on first use.",
                        settings.collection);
  return Json{{"type", "object"},
              {"additionalProperties", false},
              {"properties",
               {{"text", entry_schema()},
                {"metadata", metadata_schema()},
                {"entries",
                 {{"type", "array"},
                  {"minItems", 1},
                  {"maxItems", kMaxEntries},
                  {"description", "Several entries at once, instead of text and metadata."},
                  {"items",
                   {{"type", "object"},
                    {"additionalProperties", false},
                    {"required", {"text"}},
                    {"properties", {{"text", entry_schema()}, {"metadata", metadata_schema()}}}}}}},
                {"collection", std::move(collection)}}}};
}

Json output_schema() {
  return Json{
      {"type", "object"},
      {"additionalProperties", false},
      {"required",
       {"collection", "ids", "received", "stored", "created_collection", "dimensions", "model"}},
      {"properties",
       {{"collection", {{"type", "string"}}},
        {"ids",
         {{"type", "array"},
          {"items", {{"type", "string"}}},
          {"description", "One point id per entry, in order; equal texts share an id."}}},
        {"received", {{"type", "integer"}, {"minimum", 0}}},
        {"stored", {{"type", "integer"}, {"minimum", 0}}},
        {"created_collection", {{"type", "boolean"}}},
        {"dimensions", {{"type", "integer"}, {"minimum", 1}}},
        {"model", {{"type", "string"}}}}}};
}

ToolResult cancelled(std::size_t stored, std::size_t total) {
  return ToolResult::error("cancelled", fmt::format("qdrant_store was cancelled after storing "
                                                    "{} of {} entries",
                                                    stored, total));
}

boost::asio::awaitable<ToolResult> store(QdrantStoreDependencies deps, Json arguments,
                                         mcp::ToolContext context) {
  QdrantCollections& collections = *deps.collections;
  backend::Embedder& embedder = *deps.embedder;
  const CancellationToken cancel = context.cancel;

  auto collection = collections.choose(arguments);
  if (!collection) co_return std::move(collection.error());
  auto entries = store_entries(arguments);
  if (!entries) co_return std::move(entries.error());

  if (auto open = co_await collections.refuse_while_open(*collection, cancel); !open) {
    co_return std::move(open.error());
  }

  // Equal texts map to one point; the last entry's metadata wins, as a second store would.
  std::vector<std::string> ids;
  std::vector<std::size_t> unique;  // entry index whose payload is written, per point
  std::map<std::string, std::size_t> slot_of_id;
  for (std::size_t i = 0; i < entries->size(); ++i) {
    ids.push_back(point_id(*collection, (*entries)[i].text));
    const auto [slot, fresh] = slot_of_id.emplace(ids.back(), unique.size());
    if (fresh) {
      unique.push_back(i);
    } else {
      unique[slot->second] = i;
    }
  }

  std::optional<VectorTarget> target;
  std::size_t stored = 0;
  const std::size_t total = unique.size();
  bool recreated = false;
  for (std::size_t start = 0; start < total; start += kStepEntries) {
    if (cancel.cancelled()) co_return cancelled(stored, total);
    const std::size_t end = std::min(total, start + kStepEntries);
    std::vector<std::string> texts;
    for (std::size_t k = start; k < end; ++k) texts.push_back((*entries)[unique[k]].text);

    auto vectors = co_await embedder.embed(texts, cancel);
    if (!vectors) co_return backend_failure(vectors.error());
    const std::size_t dimensions = vectors->front().size();
    if (!target) {
      auto prepared =
          co_await collections.prepare_write(*collection, dimensions, embedder.model(), cancel);
      if (!prepared) co_return std::move(prepared.error());
      target = std::move(*prepared);
    }

    std::vector<backend::Point> points;
    points.reserve(end - start);
    for (std::size_t k = start; k < end; ++k) {
      const StoreEntry& entry = (*entries)[unique[k]];
      backend::Point point;
      point.id = ids[unique[k]];
      point.vector_name = target->vector_name;
      point.vector = std::move((*vectors)[k - start]);
      point.payload = Json{{"document", entry.text}, {"metadata", entry.metadata}};
      points.push_back(std::move(point));
    }
    auto written = co_await collections.client().upsert(*collection, points, cancel);
    if (!written && backend::QdrantClient::is_missing_collection(written.error()) && !recreated) {
      // Deleted behind our back since we looked: create it again, once.
      recreated = true;
      collections.forget(*collection);
      auto prepared =
          co_await collections.prepare_write(*collection, dimensions, embedder.model(), cancel);
      if (!prepared) co_return std::move(prepared.error());
      const bool created = target->created || prepared->created;
      target = std::move(*prepared);
      target->created = created;
      written = co_await collections.client().upsert(*collection, std::move(points), cancel);
    }
    if (!written) {
      // A refusal may mean the collection changed shape; look again next time.
      collections.forget(*collection);
      co_return backend_failure(written.error());
    }
    stored = end;
    if (total > kStepEntries) {
      context.progress(static_cast<double>(stored), static_cast<double>(total),
                       fmt::format("stored {} of {} entries", stored, total));
    }
  }

  Json result{{"collection", *collection},
              {"ids", ids},
              {"received", entries->size()},
              {"stored", stored},
              {"created_collection", target->created},
              {"dimensions", target->dimensions},
              {"model", embedder.model()}};
  std::string text = fmt::format(
      "Stored {} {} in collection '{}'{}.", stored, stored == 1 ? "entry" : "entries", *collection,
      target->created ? fmt::format(" (created it for {}-dim {} vectors)", target->dimensions,
                                    collections.settings().distance)
                      : "");
  if (stored != entries->size()) {
    text += fmt::format(" {} of the {} entries repeated a text and share its point.",
                        entries->size() - stored, entries->size());
  }
  text += ids.size() == 1 ? " Id: " + ids.front() : fmt::format(" Ids: {}", fmt::join(ids, ", "));
  ToolResult out = ToolResult::text(std::move(text));
  out.structured = std::move(result);
  co_return out;
}

}  // namespace

ToolOutcome<std::vector<StoreEntry>> store_entries(const Json& arguments) {
  const auto invalid = [](std::string message) {
    return tl::unexpected(ToolResult::error("invalid_arguments", std::move(message)));
  };
  const bool has_text = arguments.contains("text");
  const bool has_entries = arguments.contains("entries");
  if (has_text == has_entries) {
    return invalid(
        "give either `text` (with optional `metadata`) or `entries`, a list of {text, metadata}");
  }
  std::vector<StoreEntry> entries;
  const auto add = [&](const Json& node) -> bool {
    const auto text = node.find("text");
    if (text == node.end() || !text->is_string() || text->get_ref<const std::string&>().empty()) {
      return false;
    }
    StoreEntry entry;
    entry.text = text->get<std::string>();
    if (const auto metadata = node.find("metadata"); metadata != node.end()) {
      if (!metadata->is_object()) return false;
      entry.metadata = *metadata;
    }
    entries.push_back(std::move(entry));
    return true;
  };
  if (has_text) {
    if (!add(arguments))
      return invalid("`text` must be a non-empty string and `metadata` an object");
    return entries;
  }
  if (arguments.contains("metadata")) {
    return invalid("`metadata` goes inside each item of `entries`");
  }
  const Json& list = arguments["entries"];
  if (!list.is_array() || list.empty()) return invalid("`entries` must be a non-empty list");
  for (std::size_t i = 0; i < list.size(); ++i) {
    if (!list[i].is_object() || !add(list[i])) {
      return invalid(
          fmt::format("entries[{}] must be {{text: non-empty string, metadata?: object}}", i));
    }
  }
  return entries;
}

mcp::ToolDefinition make_qdrant_store(QdrantStoreDependencies dependencies) {
  const QdrantToolSettings& settings = dependencies.collections->settings();
  mcp::ToolDefinition tool;
  tool.name = "qdrant_store";
  tool.title = "Store in Qdrant";
  tool.description = fmt::format(
      "Remember text in the Qdrant vector database so qdrant_find can retrieve it by meaning "
      "later. Give one `text` with optional `metadata`, or a batch as `entries`. Storing the "
      "same text again updates it instead of adding a duplicate. Default collection: '{}'.",
      settings.collection);
  tool.input_schema = input_schema(settings);
  tool.output_schema = output_schema_with_error(output_schema());
  tool.annotations = tool_annotations(tool.title, {.read_only = false});
  tool.handler = [deps = std::move(dependencies)](Json arguments, mcp::ToolContext context) {
    return store(deps, std::move(arguments), std::move(context));
  };
  return tool;
}

}  // namespace shield::tools

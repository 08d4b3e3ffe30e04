#include "shield/tools/lightrag_query.hpp"

#include <utility>

#include <fmt/format.h>

#include "shield/tools/backend_failure.hpp"
#include "shield/tools/output_schema.hpp"
#include "shield/tools/tool_annotations.hpp"

namespace shield::tools {
namespace {

using mcp::Json;
using mcp::ToolResult;

constexpr std::size_t kMaxQueryLength = 20'000;
constexpr int kMaxTopK = 1000;
constexpr std::size_t kMaxHistory = 50;
constexpr std::size_t kMaxTurnLength = 20'000;

Json input_schema() {
  return Json{
      {"type", "object"},
      {"additionalProperties", false},
      {"required", {"query"}},
      {"properties",
       {{"query",
         {{"type", "string"},
          {"minLength", 1},
          {"maxLength", kMaxQueryLength},
          {"pattern", "\\S"},
          {"description", "The question to answer from the knowledge graph."}}},
        {"mode",
         {{"type", "string"},
          {"enum", {"local", "global", "hybrid", "naive", "mix", "bypass"}},
          {"default", kDefaultLightragMode},
          {"description",
           "Retrieval strategy: local (entities), global (relationships), hybrid (both), naive "
           "(vector search over chunks only), mix (knowledge graph plus chunks; the default), "
           "bypass (no retrieval, ask the LLM directly)."}}},
        {"top_k",
         {{"type", "integer"},
          {"minimum", 1},
          {"maximum", kMaxTopK},
          {"description", "How many entities/relationships (or chunks) to retrieve."}}},
        {"only_need_context",
         {{"type", "boolean"},
          {"description", "Return the retrieved context instead of a generated answer."}}},
        {"response_type",
         {{"type", "string"},
          {"minLength", 1},
          {"maxLength", 100},
          {"description",
           "Shape of the answer, e.g. \"Multiple Paragraphs\", \"Single Paragraph\", "
           "\"Bullet Points\"."}}},
        {"conversation_history",
         {{"type", "array"},
          {"maxItems", kMaxHistory},
          {"description", "Earlier turns of the conversation, oldest first."},
          {"items",
           {{"type", "object"},
            {"additionalProperties", false},
            {"required", {"role", "content"}},
            {"properties",
             {{"role", {{"type", "string"}, {"enum", {"user", "assistant", "system"}}}},
              {"content", {{"type", "string"}, {"maxLength", kMaxTurnLength}}}}}}}}}}}};
}

Json output_schema() {
  return Json{{"type", "object"},
              {"additionalProperties", false},
              {"required", {"answer", "references", "mode", "route"}},
              {"properties",
               {{"answer", {{"type", "string"}}},
                {"references",
                 {{"type", "array"},
                  {"items",
                   {{"type", "object"},
                    {"additionalProperties", false},
                    {"required", {"reference_id", "file_path"}},
                    {"properties",
                     {{"reference_id", {{"type", "string"}}},
                      {"file_path", {{"type", "string"}}},
                      {"title", {{"type", "string"}}}}}}}}},
                {"mode", {{"type", "string"}}},
                {"route", {{"type", "string"}, {"enum", {"orchestrator", "direct"}}}}}}};
}

boost::asio::awaitable<ToolResult> ask(LightragQueryDependencies deps, Json arguments,
                                       mcp::ToolContext context) {
  backend::LightragQuery request = lightrag_request(arguments);
  const std::string mode = request.mode;
  auto answer = co_await deps.lightrag->query(std::move(request), context.cancel);
  if (!answer) co_return backend_failure(answer.error());
  Json result = lightrag_result(*answer, mode, deps.lightrag->route());
  ToolResult out = ToolResult::text(lightrag_result_text(result));
  out.structured = std::move(result);
  co_return out;
}

}  // namespace

backend::LightragQuery lightrag_request(const Json& arguments) {
  backend::LightragQuery request;
  request.query = arguments.at("query").get<std::string>();
  request.mode = arguments.value("mode", std::string(kDefaultLightragMode));
  if (const auto top_k = arguments.find("top_k"); top_k != arguments.end()) {
    request.top_k = top_k->get<int>();
  }
  if (const auto only = arguments.find("only_need_context"); only != arguments.end()) {
    request.only_need_context = only->get<bool>();
  }
  if (const auto type = arguments.find("response_type"); type != arguments.end()) {
    request.response_type = type->get<std::string>();
  }
  if (const auto history = arguments.find("conversation_history"); history != arguments.end()) {
    for (const auto& turn : *history) {
      request.conversation_history.push_back(
          {turn.at("role").get<std::string>(), turn.at("content").get<std::string>()});
    }
  }
  return request;
}

Json lightrag_result(const backend::LightragAnswer& answer, const std::string& mode,
                     backend::LightragRoute route) {
  Json references = Json::array();
  for (const auto& reference : answer.references) {
    Json item{{"reference_id", reference.reference_id}, {"file_path", reference.file_path}};
    if (reference.title) item["title"] = *reference.title;
    references.push_back(std::move(item));
  }
  return Json{{"answer", answer.response},
              {"references", std::move(references)},
              {"mode", mode},
              {"route", backend::to_string(route)}};
}

std::string lightrag_result_text(const Json& result) {
  std::string text = result.at("answer").get<std::string>();
  const Json& references = result.at("references");
  if (references.empty()) return text;
  text += "\n\nReferences:";
  for (const auto& reference : references) {
    text += fmt::format("\n[{}] ", reference.at("reference_id").get<std::string>());
    if (reference.contains("title")) {
      text += reference["title"].get<std::string>() + " — ";
    }
    text += reference.at("file_path").get<std::string>();
  }
  return text;
}

mcp::ToolDefinition make_lightrag_query(LightragQueryDependencies dependencies) {
  mcp::ToolDefinition tool;
  tool.name = "lightrag_query";
  tool.title = "Ask LightRAG";
  tool.description =
      "Answer a question from the LightRAG knowledge graph built from ingested documents "
      "(crawled sites, uploaded files). Returns a generated answer with numbered references to "
      "the source documents. Use qdrant_find instead to fetch stored passages verbatim.";
  tool.input_schema = input_schema();
  tool.output_schema = output_schema_with_error(output_schema());
  tool.annotations = tool_annotations(tool.title, {.read_only = true});
  tool.handler = [deps = std::move(dependencies)](Json arguments, mcp::ToolContext context) {
    return ask(deps, std::move(arguments), std::move(context));
  };
  return tool;
}

}  // namespace shield::tools

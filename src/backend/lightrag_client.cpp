#include "shield/backend/lightrag_client.hpp"

#include <utility>

#include <fmt/format.h>

namespace shield::backend {

const char* to_string(LightragRoute route) noexcept {
  switch (route) {
    case LightragRoute::kOrchestrator:
      return "orchestrator";
    case LightragRoute::kDirect:
      return "direct";
  }
  return "unknown";
}

LightragClient::LightragClient(Backend& backend, LightragRoute route)
    : backend_(backend), route_(route) {}

Json LightragClient::request_body(const LightragQuery& query, LightragRoute route) {
  Json body{{"query", query.query}, {"mode", query.mode}};
  if (query.top_k) body["top_k"] = *query.top_k;
  if (query.only_need_context) body["only_need_context"] = *query.only_need_context;
  if (query.response_type) body["response_type"] = *query.response_type;
  if (!query.conversation_history.empty()) {
    Json turns = Json::array();
    for (const auto& turn : query.conversation_history) {
      turns.push_back(Json{{"role", turn.role}, {"content", turn.content}});
    }
    body["conversation_history"] = std::move(turns);
  }
  // LightRAG leaves references out unless asked; the orchestrator always sends them.
  if (route == LightragRoute::kDirect) body["include_references"] = true;
  return body;
}

tl::expected<LightragAnswer, std::string> LightragClient::parse_answer(const Json& body) {
  if (!body.is_object()) return tl::unexpected(std::string("the answer is not a JSON object"));
  const auto response = body.find("response");
  if (response == body.end() || !response->is_string()) {
    return tl::unexpected(std::string("no \"response\" text in the answer"));
  }
  LightragAnswer answer;
  answer.response = response->get<std::string>();
  const auto references = body.find("references");
  if (references == body.end() || references->is_null()) return answer;
  if (!references->is_array()) return tl::unexpected(std::string("\"references\" is not a list"));
  for (const auto& item : *references) {
    if (!item.is_object()) return tl::unexpected(std::string("a reference is not an object"));
    LightragReference reference;
    const auto id = item.find("reference_id");
    if (id != item.end())
      reference.reference_id = id->is_string() ? id->get<std::string>() : id->dump();
    const auto path = item.find("file_path");
    if (path == item.end() || !path->is_string()) {
      return tl::unexpected(std::string("a reference has no file_path"));
    }
    reference.file_path = path->get<std::string>();
    const auto title = item.find("title");
    if (title != item.end() && title->is_string() && !title->get<std::string>().empty()) {
      reference.title = title->get<std::string>();
    }
    answer.references.push_back(std::move(reference));
  }
  return answer;
}

boost::asio::awaitable<CallResult<LightragAnswer>> LightragClient::query(LightragQuery query,
                                                                         CancellationToken cancel) {
  BackendRequest request;
  request.method = "POST";
  request.path = route_ == LightragRoute::kDirect ? "/query" : "/lightrag/query";
  request.body = request_body(query, route_);
  request.idempotent = true;  // a read; the orchestrator contract says it is safe to retry
  auto answer = co_await backend_.call(std::move(request), std::move(cancel));
  if (!answer) co_return tl::unexpected(std::move(answer.error()));
  auto parsed = parse_answer(answer->body);
  if (!parsed) {
    co_return tl::unexpected(local_backend_error(
        backend_, BackendErrorCode::kUnavailable,
        fmt::format("{} at {} sent an unusable query answer: {}",
                    route_ == LightragRoute::kDirect ? "LightRAG" : "The orchestrator",
                    backend_.base_url(), parsed.error()),
        parsed.error()));
  }
  co_return std::move(*parsed);
}

}  // namespace shield::backend

#pragma once
// LightragClient: asks LightRAG a question, either through the orchestrator
// (POST /lightrag/query, the default) or straight at a LightRAG server (POST /query, with
// its X-API-Key set on the backend). Both take the same fields; the answer is
// {response, references}.
//
// Threading: query() may be awaited concurrently from any io_context thread.
// Ownership: `backend` must outlive the client.
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "shield/backend/call_result.hpp"

namespace shield::backend {

enum class LightragRoute { kOrchestrator, kDirect };

// "orchestrator" | "direct".
const char* to_string(LightragRoute route) noexcept;

struct ConversationTurn {
  std::string role;  // "user" | "assistant" | "system"
  std::string content;
};

struct LightragQuery {
  std::string query;
  std::string mode = "mix";  // local | global | hybrid | naive | mix | bypass
  std::optional<int> top_k;
  std::optional<bool> only_need_context;
  std::optional<std::string> response_type;
  std::vector<ConversationTurn> conversation_history;
};

struct LightragReference {
  std::string reference_id;
  std::string file_path;
  std::optional<std::string> title;
};

struct LightragAnswer {
  std::string response;
  std::vector<LightragReference> references;
};

class LightragClient {
 public:
  LightragClient(Backend& backend, LightragRoute route);

  boost::asio::awaitable<CallResult<LightragAnswer>> query(LightragQuery query,
                                                           CancellationToken cancel = {});

  [[nodiscard]] LightragRoute route() const { return route_; }
  [[nodiscard]] Backend& backend() const { return backend_; }

  // Pure shaping, exposed for tests.
  [[nodiscard]] static Json request_body(const LightragQuery& query, LightragRoute route);
  [[nodiscard]] static tl::expected<LightragAnswer, std::string> parse_answer(const Json& body);

 private:
  Backend& backend_;
  LightragRoute route_;
};

}  // namespace shield::backend

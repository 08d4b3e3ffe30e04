#pragma once
// Phrasing shared by the embedding providers' error explanations (internal to the module).
#include <string>
#include <vector>

#include "shield/backend/backend.hpp"

namespace shield::backend::detail {

// The provider's own error text from an answer body ({error: "..."} as Ollama sends,
// {error: {message}} as OpenAI sends, or a raw string), or "" when there is none.
std::string provider_message(const Json& body);

// `"The quick brown fox…" (12,345 characters)`: the longest of `texts`, for messages about
// an input that is too long.
std::string describe_longest(const std::vector<std::string>& texts);

// 401/403 from a provider: a configuration problem, said so.
bool explain_auth(BackendError& error, const std::string& provider_label);

}  // namespace shield::backend::detail

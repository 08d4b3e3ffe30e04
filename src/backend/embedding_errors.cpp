#include "embedding_errors.hpp"

#include <algorithm>

#include <fmt/format.h>

namespace shield::backend::detail {
namespace {

constexpr std::size_t kQuoteChars = 40;

// Cuts at a UTF-8 character boundary so the quote stays valid text.
std::string quote_start(const std::string& text) {
  if (text.size() <= kQuoteChars) return text;
  std::size_t end = kQuoteChars;
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0U) == 0x80U) --end;
  return text.substr(0, end) + "…";
}

std::string with_thousands(std::size_t n) {
  std::string digits = std::to_string(n);
  for (std::ptrdiff_t i = static_cast<std::ptrdiff_t>(digits.size()) - 3; i > 0; i -= 3) {
    digits.insert(static_cast<std::size_t>(i), ",");
  }
  return digits;
}

}  // namespace

std::string provider_message(const Json& body) {
  if (body.is_string()) return body.get<std::string>();
  if (!body.is_object()) return {};
  const auto error = body.find("error");
  if (error == body.end()) return {};
  if (error->is_string()) return error->get<std::string>();
  if (error->is_object()) {
    const auto message = error->find("message");
    if (message != error->end() && message->is_string()) return message->get<std::string>();
  }
  return {};
}

std::string describe_longest(const std::vector<std::string>& texts) {
  if (texts.empty()) return "(no input)";
  const auto longest = std::max_element(
      texts.begin(), texts.end(),
      [](const std::string& a, const std::string& b) { return a.size() < b.size(); });
  return fmt::format("\"{}\" ({} characters)", quote_start(*longest),
                     with_thousands(longest->size()));
}

bool explain_auth(BackendError& error, const std::string& provider_label) {
  if (error.http_status != 401 && error.http_status != 403) return false;
  error.message =
      fmt::format("{} at {} refused our credentials ({}); check the embedder's api_key setting",
                  provider_label, error.base_url, error.http_status);
  return true;
}

}  // namespace shield::backend::detail

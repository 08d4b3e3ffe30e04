#include "response_header_parser.hpp"

#include <cctype>

namespace shield::http::detail {

namespace {

std::string_view trim(std::string_view text) {
  auto is_space = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  while (!text.empty() && is_space(text.front())) text.remove_prefix(1);
  while (!text.empty() && is_space(text.back())) text.remove_suffix(1);
  return text;
}

std::string lower(std::string_view text) {
  std::string out(text);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

void ResponseHeaderParser::on_line(std::string_view line) {
  if (line.starts_with("HTTP/")) {
    headers_.clear();
    last_name_.clear();
    return;
  }
  if (line.empty()) return;
  if (line.front() == ' ' || line.front() == '\t') {
    // Obsolete folding (RFC 9112 §5.2): the line continues the previous field's value.
    auto it = headers_.find(last_name_);
    auto rest = trim(line);
    if (it != headers_.end() && !rest.empty()) {
      it->second.append(" ").append(rest);
    }
    return;
  }
  auto colon = line.find(':');
  if (colon == std::string_view::npos || colon == 0) return;  // the blank end-of-block line
  auto name = lower(trim(line.substr(0, colon)));
  auto value = trim(line.substr(colon + 1));
  auto [it, inserted] = headers_.try_emplace(name, value);
  if (!inserted) it->second.append(", ").append(value);
  last_name_ = std::move(name);
}

}  // namespace shield::http::detail

#include "shield/mcp/uri_template.hpp"

#include <vector>

namespace shield::mcp {
namespace {

struct Piece {
  bool variable = false;
  std::string text;  // the literal, or the variable name
};

std::optional<std::vector<Piece>> split(std::string_view uri_template) {
  std::vector<Piece> pieces;
  std::string literal;
  for (std::size_t i = 0; i < uri_template.size(); ++i) {
    const char c = uri_template[i];
    if (c == '}') return std::nullopt;
    if (c != '{') {
      literal.push_back(c);
      continue;
    }
    const auto close = uri_template.find('}', i + 1);
    if (close == std::string_view::npos || close == i + 1) return std::nullopt;
    const auto name = uri_template.substr(i + 1, close - i - 1);
    if (name.find('{') != std::string_view::npos) return std::nullopt;
    if (!literal.empty()) pieces.push_back({false, std::move(literal)});
    literal.clear();
    pieces.push_back({true, std::string(name)});
    i = close;
  }
  if (!literal.empty()) pieces.push_back({false, std::move(literal)});
  return pieces;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string percent_decode(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size()) {
      const int hi = hex_value(text[i + 1]);
      const int lo = hex_value(text[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out.push_back(static_cast<char>(hi * 16 + lo));
        i += 2;
        continue;
      }
    }
    out.push_back(text[i]);
  }
  return out;
}

bool match_from(const std::vector<Piece>& pieces, std::size_t piece, std::string_view uri,
                std::map<std::string, std::string>& vars) {
  if (piece == pieces.size()) return uri.empty();
  const Piece& p = pieces[piece];
  if (!p.variable) {
    if (uri.substr(0, p.text.size()) != p.text) return false;
    return match_from(pieces, piece + 1, uri.substr(p.text.size()), vars);
  }
  // Try every non-empty run of non-'/' characters; templates are short, so is this search.
  for (std::size_t len = 1; len <= uri.size() && uri[len - 1] != '/'; ++len) {
    if (match_from(pieces, piece + 1, uri.substr(len), vars)) {
      vars[p.text] = percent_decode(uri.substr(0, len));
      return true;
    }
  }
  return false;
}

}  // namespace

bool is_valid_uri_template(std::string_view uri_template) {
  return !uri_template.empty() && split(uri_template).has_value();
}

std::optional<std::map<std::string, std::string>> match_uri_template(std::string_view uri_template,
                                                                     std::string_view uri) {
  const auto pieces = split(uri_template);
  if (!pieces) return std::nullopt;
  std::map<std::string, std::string> vars;
  if (!match_from(*pieces, 0, uri, vars)) return std::nullopt;
  return vars;
}

}  // namespace shield::mcp

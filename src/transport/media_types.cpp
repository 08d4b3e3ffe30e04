#include "shield/transport/media_types.hpp"

#include <cctype>
#include <string>

namespace shield::transport {
namespace {

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

// q=0 ("not acceptable") in a media range's parameters.
bool refused(std::string_view parameters) {
  while (!parameters.empty()) {
    const auto semi = parameters.find(';');
    auto param = trim_ows(parameters.substr(0, semi));
    parameters = semi == std::string_view::npos ? std::string_view{} : parameters.substr(semi + 1);
    const auto eq = param.find('=');
    if (eq == std::string_view::npos || !iequals(trim_ows(param.substr(0, eq)), "q")) continue;
    auto value = trim_ows(param.substr(eq + 1));
    // "0", "0.", "0.0", "0.00", "0.000": every spelling of zero.
    if (value.empty() || value[0] != '0') return false;
    for (char c : value.substr(1)) {
      if (c != '.' && c != '0') return false;
    }
    return true;
  }
  return false;
}

}  // namespace

std::string_view trim_ows(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

bool accept_allows(std::string_view accept, std::string_view media_type) {
  const auto slash = media_type.find('/');
  const auto type = media_type.substr(0, slash);
  // RFC 9110 §12.5.1: the most specific matching range decides, so "application/json;q=0"
  // refuses JSON even next to "*/*".
  int best = 0;
  bool allowed = false;
  while (!accept.empty()) {
    const auto comma = accept.find(',');
    auto range = accept.substr(0, comma);
    accept = comma == std::string_view::npos ? std::string_view{} : accept.substr(comma + 1);
    const auto semi = range.find(';');
    const auto name = trim_ows(range.substr(0, semi));
    const auto parameters =
        semi == std::string_view::npos ? std::string_view{} : range.substr(semi + 1);
    int specificity = 0;
    if (iequals(name, media_type)) {
      specificity = 3;
    } else if (name.size() == type.size() + 2 && iequals(name.substr(0, type.size()), type) &&
               name.substr(type.size()) == "/*") {
      specificity = 2;
    } else if (name == "*/*") {
      specificity = 1;
    }
    if (specificity > best) {
      best = specificity;
      allowed = !refused(parameters);
    }
  }
  return allowed;
}

bool is_json_media_type(std::string_view content_type) {
  const auto semi = content_type.find(';');
  return iequals(trim_ows(content_type.substr(0, semi)), "application/json");
}

}  // namespace shield::transport

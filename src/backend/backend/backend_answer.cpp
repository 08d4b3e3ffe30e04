#include "backend_answer.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>

namespace shield::backend::detail {
namespace {

using Json = nlohmann::json;

constexpr std::size_t kErrorTextLimit = 300;

bool contains_ignoring_case(std::string_view text, std::string_view word) {
  const auto found =
      std::search(text.begin(), text.end(), word.begin(), word.end(), [](char a, char b) {
        return std::tolower(static_cast<unsigned char>(a)) ==
               std::tolower(static_cast<unsigned char>(b));
      });
  return found != text.end();
}

const Json* member(const Json& object, const char* name) {
  if (!object.is_object()) return nullptr;
  const auto found = object.find(name);
  return found == object.end() ? nullptr : &*found;
}

// A string member, or the "message" inside an object member.
std::optional<std::string> text_of(const Json* node) {
  if (node == nullptr) return std::nullopt;
  if (node->is_string()) return node->get<std::string>();
  if (const Json* message = member(*node, "message"); message != nullptr && message->is_string()) {
    return message->get<std::string>();
  }
  return std::nullopt;
}

// FastAPI's validation errors: [{"loc": ["body", "mode"], "msg": "..."}].
std::optional<std::string> fastapi_detail(const Json* detail) {
  if (detail == nullptr || !detail->is_array() || detail->empty()) return std::nullopt;
  std::string out;
  for (const Json& item : *detail) {
    const Json* msg = member(item, "msg");
    if (msg == nullptr || !msg->is_string()) continue;
    if (!out.empty()) out += "; ";
    if (const Json* loc = member(item, "loc"); loc != nullptr && loc->is_array()) {
      std::string where;
      for (const Json& part : *loc) {
        if (!where.empty()) where += '.';
        where += part.is_string() ? part.get<std::string>() : part.dump();
      }
      if (!where.empty()) out += where + ": ";
    }
    out += msg->get<std::string>();
  }
  if (out.empty()) return std::nullopt;
  return out;
}

}  // namespace

Json parse_body(const std::string& body) {
  if (body.empty()) return nullptr;
  Json parsed = Json::parse(body, nullptr, false);
  if (parsed.is_discarded()) return Json(body);
  return parsed;
}

std::string excerpt(std::string_view text, std::size_t limit) {
  std::string out;
  out.reserve(std::min(text.size(), limit + 3));
  bool pending_space = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto byte = static_cast<unsigned char>(text[i]);
    if (byte <= 0x20 || byte == 0x7f) {
      pending_space = !out.empty();
      continue;
    }
    // Length of the UTF-8 sequence starting here, so a cut never splits one.
    std::size_t length = 1;
    if (byte >= 0xf0) {
      length = 4;
    } else if (byte >= 0xe0) {
      length = 3;
    } else if (byte >= 0xc0) {
      length = 2;
    }
    length = std::min(length, text.size() - i);
    if (out.size() + (pending_space ? 1 : 0) + length > limit) {
      out += "...";
      return out;
    }
    if (pending_space) out += ' ';
    pending_space = false;
    out.append(text.substr(i, length));
    i += length - 1;
  }
  return out;
}

std::string error_text(const Json& body, std::string_view raw) {
  std::optional<std::string> found;
  if (const Json* status = member(body, "status")) found = text_of(member(*status, "error"));
  if (!found) found = text_of(member(body, "error"));
  if (!found) found = fastapi_detail(member(body, "detail"));
  if (!found) found = text_of(member(body, "detail"));
  if (!found) found = text_of(member(body, "message"));
  if (found && !found->empty()) return excerpt(*found, kErrorTextLimit);
  return excerpt(raw, kErrorTextLimit);
}

std::optional<std::chrono::seconds> parse_retry_after(const std::optional<std::string>& value) {
  if (!value) return std::nullopt;
  std::string_view text = *value;
  while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
  while (!text.empty() && text.back() == ' ') text.remove_suffix(1);
  long long seconds = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), seconds);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() || seconds < 0) {
    return std::nullopt;
  }
  return std::chrono::seconds(seconds);
}

std::string transport_reason(const http::ClientError& error) {
  const std::string& message = error.message;
  switch (error.kind) {
    case http::ClientErrorKind::kConnect:
      if (contains_ignoring_case(message, "refused")) return "connection refused";
      if (contains_ignoring_case(message, "resolve"))
        return "cannot resolve host (" + message + ")";
      return "cannot connect (" + message + ")";
    case http::ClientErrorKind::kReset:
      if (contains_ignoring_case(message, "reset")) return "connection reset";
      return "connection closed before the answer was complete (" + message + ")";
    case http::ClientErrorKind::kTls:
      return "TLS failure (" + message + ")";
    case http::ClientErrorKind::kTimeout:
      return "timed out";
    case http::ClientErrorKind::kTooLarge:
      return "answer too large";
    case http::ClientErrorKind::kCancelled:
      return "cancelled";
    case http::ClientErrorKind::kInvalid:
      return "invalid request (" + message + ")";
    case http::ClientErrorKind::kOther:
      break;
  }
  return message.empty() ? std::string("transport failure") : message;
}

std::string_view loggable_path(std::string_view path) {
  return path.substr(0, path.find('?'));
}

}  // namespace shield::backend::detail

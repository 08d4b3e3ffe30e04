#include "json_response.hpp"

#include <boost/beast/http/field.hpp>
#include <nlohmann/json.hpp>

namespace shield::http::detail {
namespace bhttp = boost::beast::http;

namespace {

// Header values are bytes from the peer; invalid UTF-8 must not turn into an exception.
std::string dump(const nlohmann::ordered_json& value) {
  return value.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

}  // namespace

Response json_response(bhttp::status status, unsigned version, std::string body) {
  Response response{status, version};
  response.set(bhttp::field::content_type, "application/json");
  response.set(bhttp::field::cache_control, "no-store");
  response.body() = std::move(body);
  response.prepare_payload();
  return response;
}

std::string json_rpc_error_body(int code, std::string_view message) {
  return dump(
      nlohmann::ordered_json{{"jsonrpc", "2.0"},
                             {"id", nullptr},
                             {"error", {{"code", code}, {"message", std::string(message)}}}});
}

std::string error_body(ErrorCode code, std::string_view message) {
  return dump(nlohmann::ordered_json{
      {"error", {{"code", to_string(code)}, {"message", std::string(message)}}}});
}

std::string quote_header_value(std::string_view value, std::size_t limit) {
  std::string out;
  const bool cut = value.size() > limit;
  if (cut) value = value.substr(0, limit);
  out.reserve(value.size() + 3);
  for (char c : value) {
    auto u = static_cast<unsigned char>(c);
    out.push_back(u < 0x20 || u == 0x7f ? '?' : c);
  }
  if (cut) out += "...";
  return out;
}

}  // namespace shield::http::detail

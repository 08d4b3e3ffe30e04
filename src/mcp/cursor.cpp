#include "shield/mcp/cursor.hpp"

#include <charconv>
#include <system_error>

namespace shield::mcp {
namespace {

constexpr std::string_view kAlphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
constexpr std::string_view kPrefix = "c1:";

std::string base64url(std::string_view in) {
  std::string out;
  std::size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    const unsigned v = (static_cast<unsigned char>(in[i]) << 16) |
                       (static_cast<unsigned char>(in[i + 1]) << 8) |
                       static_cast<unsigned char>(in[i + 2]);
    out.push_back(kAlphabet[(v >> 18) & 63]);
    out.push_back(kAlphabet[(v >> 12) & 63]);
    out.push_back(kAlphabet[(v >> 6) & 63]);
    out.push_back(kAlphabet[v & 63]);
  }
  const std::size_t rest = in.size() - i;
  if (rest > 0) {
    unsigned v = static_cast<unsigned char>(in[i]) << 16;
    if (rest == 2) v |= static_cast<unsigned char>(in[i + 1]) << 8;
    out.push_back(kAlphabet[(v >> 18) & 63]);
    out.push_back(kAlphabet[(v >> 12) & 63]);
    if (rest == 2) out.push_back(kAlphabet[(v >> 6) & 63]);
  }
  return out;
}

std::optional<std::string> unbase64url(std::string_view in) {
  if (in.size() % 4 == 1) return std::nullopt;
  std::string out;
  unsigned buffer = 0;
  int bits = 0;
  for (char c : in) {
    const auto pos = kAlphabet.find(c);
    if (pos == std::string_view::npos) return std::nullopt;
    buffer = (buffer << 6) | static_cast<unsigned>(pos);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((buffer >> bits) & 0xff));
    }
  }
  return out;
}

}  // namespace

std::string encode_cursor(std::string_view list, std::size_t offset) {
  std::string plain(kPrefix);
  plain.append(list);
  plain.push_back(':');
  plain.append(std::to_string(offset));
  return base64url(plain);
}

std::string encode_text_cursor(std::string_view list, std::string_view position) {
  std::string plain(kPrefix);
  plain.append(list);
  plain.push_back(':');
  plain.append(position);
  return base64url(plain);
}

std::optional<std::string> decode_text_cursor(std::string_view list, std::string_view cursor) {
  auto plain = unbase64url(cursor);
  if (!plain) return std::nullopt;
  std::string_view view(*plain);
  if (view.substr(0, kPrefix.size()) != kPrefix) return std::nullopt;
  view.remove_prefix(kPrefix.size());
  if (view.substr(0, list.size()) != list || view.size() <= list.size() ||
      view[list.size()] != ':') {
    return std::nullopt;
  }
  view.remove_prefix(list.size() + 1);
  return std::string(view);
}

std::optional<std::size_t> decode_cursor(std::string_view list, std::string_view cursor) {
  const auto position = decode_text_cursor(list, cursor);
  if (!position) return std::nullopt;
  const std::string_view view(*position);
  std::size_t offset = 0;
  const auto [end, ec] = std::from_chars(view.data(), view.data() + view.size(), offset);
  if (ec != std::errc() || end != view.data() + view.size() || view.empty()) return std::nullopt;
  return offset;
}

}  // namespace shield::mcp

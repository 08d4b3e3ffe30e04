#include "shield/util/base64.hpp"

#include <algorithm>

namespace shield {
namespace {

int base64_value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

}  // namespace

std::string encode_base64(std::string_view bytes) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  for (std::size_t i = 0; i < bytes.size(); i += 3) {
    const std::size_t n = std::min<std::size_t>(3, bytes.size() - i);
    unsigned bits = static_cast<unsigned>(static_cast<unsigned char>(bytes[i])) << 16;
    if (n > 1) bits |= static_cast<unsigned>(static_cast<unsigned char>(bytes[i + 1])) << 8;
    if (n > 2) bits |= static_cast<unsigned>(static_cast<unsigned char>(bytes[i + 2]));
    out.push_back(kAlphabet[(bits >> 18) & 0x3F]);
    out.push_back(kAlphabet[(bits >> 12) & 0x3F]);
    out.push_back(n > 1 ? kAlphabet[(bits >> 6) & 0x3F] : '=');
    out.push_back(n > 2 ? kAlphabet[bits & 0x3F] : '=');
  }
  return out;
}

std::optional<std::string> decode_base64_strict(std::string_view text) {
  if (text.size() % 4 != 0) return std::nullopt;
  std::string out;
  out.reserve(text.size() / 4 * 3);
  for (std::size_t i = 0; i < text.size(); i += 4) {
    const bool last = i + 4 == text.size();
    int values[4];
    int padding = 0;
    for (int k = 0; k < 4; ++k) {
      const char c = text[i + static_cast<std::size_t>(k)];
      if (c == '=') {
        // Padding only at the end of the last quantum, and at most two characters.
        if (!last || k < 2) return std::nullopt;
        ++padding;
        values[k] = 0;
        continue;
      }
      if (padding > 0) return std::nullopt;
      values[k] = base64_value(c);
      if (values[k] < 0) return std::nullopt;
    }
    const unsigned bits =
        (static_cast<unsigned>(values[0]) << 18) | (static_cast<unsigned>(values[1]) << 12) |
        (static_cast<unsigned>(values[2]) << 6) | static_cast<unsigned>(values[3]);
    out.push_back(static_cast<char>((bits >> 16) & 0xFF));
    if (padding < 2) out.push_back(static_cast<char>((bits >> 8) & 0xFF));
    if (padding < 1) out.push_back(static_cast<char>(bits & 0xFF));
  }
  return out;
}

}  // namespace shield

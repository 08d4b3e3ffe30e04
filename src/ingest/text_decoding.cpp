#include "shield/ingest/text_decoding.hpp"

#include <cstddef>
#include <optional>

#include <fmt/format.h>

#include "shield/ingest/token_estimate.hpp"

namespace shield::ingest {
namespace {

void append_utf8(std::string& out, char32_t cp) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

// The offset of the first byte that is not part of valid UTF-8, if any.
std::optional<std::size_t> first_invalid_utf8(std::string_view data) {
  for (std::size_t i = 0; i < data.size();) {
    const DecodedCodePoint cp = decode_utf8(data, i);
    if (!cp.valid) return i;
    i += cp.length;
  }
  return std::nullopt;
}

// Returns the count of unpaired surrogates replaced by U+FFFD.
std::size_t utf16_to_utf8(std::string_view data, bool little_endian, std::string& out) {
  const auto unit = [&](std::size_t i) {
    const auto a = static_cast<unsigned char>(data[i]);
    const auto b = static_cast<unsigned char>(data[i + 1]);
    return static_cast<char32_t>(little_endian ? (b << 8 | a) : (a << 8 | b));
  };
  std::size_t replaced = 0;
  std::size_t i = 0;
  for (; i + 1 < data.size(); i += 2) {
    const char32_t first = unit(i);
    if (first >= 0xD800 && first <= 0xDBFF && i + 3 < data.size()) {
      const char32_t second = unit(i + 2);
      if (second >= 0xDC00 && second <= 0xDFFF) {
        append_utf8(out, 0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00));
        i += 2;
        continue;
      }
    }
    if (first >= 0xD800 && first <= 0xDFFF) {
      append_utf8(out, 0xFFFD);
      ++replaced;
      continue;
    }
    append_utf8(out, first);
  }
  if (i < data.size()) {  // an odd trailing byte
    append_utf8(out, 0xFFFD);
    ++replaced;
  }
  return replaced;
}

std::string normalise_line_ends(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '\r') {
      out.push_back(text[i]);
      continue;
    }
    out.push_back('\n');
    if (i + 1 < text.size() && text[i + 1] == '\n') ++i;
  }
  return out;
}

}  // namespace

DecodedText decode_text(std::string_view data, std::string_view label) {
  DecodedText out;
  std::string utf8;
  const bool le = data.starts_with("\xFF\xFE");
  if (le || data.starts_with("\xFE\xFF")) {
    out.charset = le ? "utf-16le" : "utf-16be";
    const std::size_t replaced = utf16_to_utf8(data.substr(2), le, utf8);
    if (replaced > 0) {
      out.warnings.push_back(
          fmt::format("{} is {} with {} malformed code unit(s), replaced by "
                      "U+FFFD",
                      label, out.charset, replaced));
    }
  } else {
    if (data.starts_with("\xEF\xBB\xBF")) data.remove_prefix(3);
    if (const auto invalid = first_invalid_utf8(data); invalid) {
      out.charset = "latin-1";
      utf8.reserve(data.size() + data.size() / 8);
      for (const char c : data) append_utf8(utf8, static_cast<unsigned char>(c));
      out.warnings.push_back(
          fmt::format("{} is not valid UTF-8 (byte 0x{:02X} at offset {}); it was read as "
                      "Latin-1 (ISO 8859-1), so some characters may be wrong",
                      label, static_cast<unsigned char>(data[*invalid]), *invalid));
    } else {
      out.charset = "utf-8";
      utf8.assign(data);
    }
  }
  out.text = normalise_line_ends(utf8);
  return out;
}

}  // namespace shield::ingest

#include "shield/http/multipart_form.hpp"

#include <algorithm>
#include <cctype>

namespace shield::http {
namespace {

constexpr std::string_view kCrlf = "\r\n";

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

// Splits `a=b; c="d; e"` style parameters, honouring quotes and backslash escapes.
std::vector<std::pair<std::string, std::string>> parameters(std::string_view text) {
  std::vector<std::pair<std::string, std::string>> out;
  std::size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && (text[i] == ';' || text[i] == ' ' || text[i] == '\t')) ++i;
    const std::size_t name_start = i;
    while (i < text.size() && text[i] != '=' && text[i] != ';') ++i;
    std::string name = lower(trim(text.substr(name_start, i - name_start)));
    std::string value;
    if (i < text.size() && text[i] == '=') {
      ++i;
      while (i < text.size() && (text[i] == ' ' || text[i] == '\t')) ++i;
      if (i < text.size() && text[i] == '"') {
        ++i;
        while (i < text.size() && text[i] != '"') {
          if (text[i] == '\\' && i + 1 < text.size()) ++i;
          value += text[i++];
        }
        if (i < text.size()) ++i;  // closing quote
        while (i < text.size() && text[i] != ';') ++i;
      } else {
        const std::size_t value_start = i;
        while (i < text.size() && text[i] != ';') ++i;
        value = std::string(trim(text.substr(value_start, i - value_start)));
      }
    }
    if (!name.empty()) out.emplace_back(std::move(name), std::move(value));
  }
  return out;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// RFC 5987 ext-value: charset'language'percent-encoded. Only UTF-8 (and its ASCII subset)
// is accepted: anything else would need a transcoder for a file name.
std::optional<std::string> decode_ext_value(std::string_view text) {
  const auto first = text.find('\'');
  if (first == std::string_view::npos) return std::nullopt;
  const auto second = text.find('\'', first + 1);
  if (second == std::string_view::npos) return std::nullopt;
  const std::string charset = lower(text.substr(0, first));
  if (charset != "utf-8" && charset != "us-ascii") return std::nullopt;
  std::string out;
  for (std::size_t i = second + 1; i < text.size(); ++i) {
    if (text[i] == '%') {
      if (i + 2 >= text.size()) return std::nullopt;
      const int hi = hex_value(text[i + 1]);
      const int lo = hex_value(text[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      out += static_cast<char>(hi * 16 + lo);
      i += 2;
    } else {
      out += text[i];
    }
  }
  return out;
}

Result<void> read_part_headers(std::string_view headers, FormPart& part) {
  bool has_disposition = false;
  while (!headers.empty()) {
    const auto end = headers.find(kCrlf);
    const std::string_view line = headers.substr(0, end);
    headers = end == std::string_view::npos ? std::string_view() : headers.substr(end + 2);
    const auto colon = line.find(':');
    if (colon == std::string_view::npos) {
      return fail(ErrorCode::kInvalidArgument,
                  "malformed multipart body: a part header line has no ':'");
    }
    const std::string name = lower(trim(line.substr(0, colon)));
    const std::string_view value = trim(line.substr(colon + 1));
    if (name == "content-type") {
      part.content_type = std::string(value);
    } else if (name == "content-disposition") {
      const auto semicolon = value.find(';');
      if (lower(trim(value.substr(0, semicolon))) != "form-data") {
        return fail(ErrorCode::kInvalidArgument,
                    "malformed multipart body: a part's Content-Disposition is not form-data");
      }
      has_disposition = true;
      if (semicolon == std::string_view::npos) continue;
      std::optional<std::string> extended;
      for (auto& [key, text] : parameters(value.substr(semicolon + 1))) {
        if (key == "name") part.name = text;
        if (key == "filename") part.filename = text;
        if (key == "filename*") extended = decode_ext_value(text);
      }
      // RFC 6266: filename* wins over filename when both are given and understood.
      if (extended) part.filename = std::move(extended);
    }
  }
  if (!has_disposition || part.name.empty()) {
    return fail(ErrorCode::kInvalidArgument,
                "malformed multipart body: a part lacks Content-Disposition: form-data; name=...");
  }
  if (part.content_type.empty()) part.content_type = "text/plain";
  return {};
}

}  // namespace

Result<std::vector<FormPart>> parse_multipart_form(std::string_view content_type,
                                                   std::string_view body, std::size_t max_parts) {
  const auto semicolon = content_type.find(';');
  if (lower(trim(content_type.substr(0, semicolon))) != "multipart/form-data") {
    return fail(ErrorCode::kInvalidArgument, "expected Content-Type multipart/form-data, got '" +
                                                 std::string(content_type) + "'");
  }
  std::string boundary;
  if (semicolon != std::string_view::npos) {
    for (auto& [key, value] : parameters(content_type.substr(semicolon + 1))) {
      if (key == "boundary") boundary = value;
    }
  }
  // RFC 2046: 1 to 70 characters.
  if (boundary.empty() || boundary.size() > 70) {
    return fail(ErrorCode::kInvalidArgument,
                "multipart/form-data needs a boundary parameter of 1 to 70 characters");
  }
  const std::string delimiter = "--" + boundary;
  const std::string separator = "\r\n" + delimiter;

  // The first delimiter may open the body or follow a preamble.
  std::size_t pos;
  if (body.substr(0, delimiter.size()) == delimiter) {
    pos = delimiter.size();
  } else {
    pos = body.find(separator);
    if (pos == std::string_view::npos) {
      return fail(ErrorCode::kInvalidArgument,
                  "malformed multipart body: the boundary from Content-Type never appears");
    }
    pos += separator.size();
  }

  std::vector<FormPart> parts;
  for (;;) {
    if (body.substr(pos, 2) == "--") return parts;  // the closing delimiter
    // Transport padding (spaces, tabs) may follow a delimiter before its CRLF.
    while (pos < body.size() && (body[pos] == ' ' || body[pos] == '\t')) ++pos;
    if (body.substr(pos, 2) != kCrlf) {
      return fail(ErrorCode::kInvalidArgument,
                  "malformed multipart body: a boundary is not followed by a line break");
    }
    pos += 2;
    if (parts.size() == max_parts) {
      return fail(ErrorCode::kInvalidArgument,
                  "multipart body has more than " + std::to_string(max_parts) + " parts");
    }
    FormPart part;
    std::string_view headers;
    if (body.substr(pos, 2) == kCrlf) {
      pos += 2;  // a part with no header lines at all
    } else {
      const auto headers_end = body.find("\r\n\r\n", pos);
      if (headers_end == std::string_view::npos) {
        return fail(ErrorCode::kInvalidArgument,
                    "malformed multipart body: a part's headers never end");
      }
      headers = body.substr(pos, headers_end - pos);
      pos = headers_end + 4;
    }
    if (auto ok = read_part_headers(headers, part); !ok) return tl::unexpected(ok.error());
    const auto data_end = body.find(separator, pos);
    if (data_end == std::string_view::npos) {
      return fail(ErrorCode::kInvalidArgument,
                  "malformed multipart body: the closing boundary is missing (truncated upload?)");
    }
    part.data = body.substr(pos, data_end - pos);
    parts.push_back(std::move(part));
    pos = data_end + separator.size();
  }
}

const FormPart* find_part(const std::vector<FormPart>& parts, std::string_view name) {
  for (const FormPart& part : parts) {
    if (part.name == name) return &part;
  }
  return nullptr;
}

}  // namespace shield::http

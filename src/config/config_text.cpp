#include "shield/config/config_text.hpp"

#include "config_schema.hpp"

namespace shield::config {
namespace {

// A TOML basic string: quotes, backslashes and control characters escaped; UTF-8 as is.
std::string toml_string(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out = "\"";
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (byte < 0x20 || byte == 0x7f) {
          out += "\\u00";
          out += kHex[byte >> 4];
          out += kHex[byte & 0xf];
        } else {
          out += c;
        }
    }
  }
  out += '"';
  return out;
}

std::string render_value(const detail::Value& value) {
  if (const auto* flag = std::get_if<bool>(&value)) return *flag ? "true" : "false";
  if (const auto* number = std::get_if<std::int64_t>(&value)) return std::to_string(*number);
  if (const auto* text = std::get_if<std::string>(&value)) return toml_string(*text);
  if (const auto* address = std::get_if<HostPort>(&value)) {
    return toml_string(address->to_string());
  }
  if (const auto* list = std::get_if<std::vector<std::string>>(&value)) {
    std::string out = "[";
    for (std::size_t i = 0; i < list->size(); ++i) {
      if (i > 0) out += ", ";
      out += toml_string((*list)[i]);
    }
    return out + "]";
  }
  if (const auto* secret = std::get_if<Secret>(&value)) {
    // The space makes the placeholder an invalid key, so rendered text fed back in fails
    // loudly instead of sending "<redacted>" as a credential.
    return secret->empty() ? std::string("\"\"") : toml_string("<redacted key>");
  }
  const auto& secrets = std::get<std::vector<Secret>>(value);
  if (secrets.empty()) return "[]";
  // Only the count: even a token's length narrows a guess.
  return toml_string("<redacted: " + std::to_string(secrets.size()) +
                     (secrets.size() == 1 ? " token>" : " tokens>"));
}

}  // namespace

std::string render_config(const Config& config) {
  std::string out = "# Effective shield-mcp configuration (file < environment < flags).\n";
  std::string_view section;
  for (const detail::KeySpec& spec : detail::key_specs()) {
    if (spec.section != section) {
      section = spec.section;
      out += "\n[";
      out.append(section);
      out += "]\n";
    }
    out.append(spec.name);
    out += " = ";
    out += render_value(spec.load(config));
    out += '\n';
  }
  return out;
}

}  // namespace shield::config

#include "config_schema.hpp"

#include <algorithm>
#include <array>
#include <cctype>

#include "shield/util/logging.hpp"
#include "suggestion.hpp"

namespace shield::config::detail {
namespace {

constexpr std::int64_t kKiB = 1024;
constexpr std::int64_t kMiB = 1024 * kKiB;
constexpr std::int64_t kGiB = 1024 * kMiB;
constexpr std::int64_t kHourMs = 3'600'000;
constexpr std::int64_t kDayMs = 24 * kHourMs;
constexpr std::int64_t kMinuteMs = 60'000;

void assign(bool& field, Value&& value) {
  field = std::get<bool>(value);
}
void assign(unsigned& field, Value&& value) {
  field = static_cast<unsigned>(std::get<std::int64_t>(value));
}
void assign(std::size_t& field, Value&& value) {
  field = static_cast<std::size_t>(std::get<std::int64_t>(value));
}
void assign(std::int64_t& field, Value&& value) {
  field = std::get<std::int64_t>(value);
}
void assign(Millis& field, Value&& value) {
  field = Millis(std::get<std::int64_t>(value));
}
void assign(std::string& field, Value&& value) {
  field = std::get<std::string>(std::move(value));
}
void assign(HostPort& field, Value&& value) {
  field = std::get<HostPort>(std::move(value));
}
void assign(std::vector<std::string>& field, Value&& value) {
  field = std::get<std::vector<std::string>>(std::move(value));
}
void assign(std::vector<Secret>& field, Value&& value) {
  field = std::get<std::vector<Secret>>(std::move(value));
}

Value as_value(bool field) {
  return field;
}
Value as_value(unsigned field) {
  return static_cast<std::int64_t>(field);
}
Value as_value(std::size_t field) {
  return static_cast<std::int64_t>(field);
}
Value as_value(std::int64_t field) {
  return field;
}
Value as_value(Millis field) {
  return static_cast<std::int64_t>(field.count());
}
Value as_value(const std::string& field) {
  return field;
}
Value as_value(const HostPort& field) {
  return field;
}
Value as_value(const std::vector<std::string>& field) {
  return field;
}
Value as_value(const std::vector<Secret>& field) {
  return field;
}

template <auto kSection, auto kField>
struct Slot {
  static void store(Config& config, Value&& value) {
    assign((config.*kSection).*kField, std::move(value));
  }
  static Value load(const Config& config) { return as_value((config.*kSection).*kField); }
};

template <auto kSection, auto kField>
KeySpec key(std::string_view section, std::string_view name, ValueKind kind) {
  KeySpec spec{.section = section, .name = name, .kind = kind};
  spec.store = &Slot<kSection, kField>::store;
  spec.load = &Slot<kSection, kField>::load;
  return spec;
}

template <auto kSection, auto kField>
KeySpec integer(std::string_view section, std::string_view name, std::int64_t min,
                std::int64_t max) {
  KeySpec spec = key<kSection, kField>(section, name, ValueKind::kInteger);
  spec.min = min;
  spec.max = max;
  return spec;
}

bool has_space_or_control(std::string_view text) {
  return std::any_of(text.begin(), text.end(), [](char c) {
    const auto byte = static_cast<unsigned char>(c);
    return byte <= 0x20 || byte == 0x7f;
  });
}

// A Host header value: a name or address, optionally with a port. Never a URL.
std::string check_host_entry(std::string_view entry) {
  if (entry.empty()) return "entries must not be empty";
  if (has_space_or_control(entry)) return "'" + std::string(entry) + "' contains whitespace";
  if (entry.find('/') != std::string_view::npos) {
    return "'" + std::string(entry) +
           "' is not a host name (write the Host header value, e.g. example.com or "
           "example.com:8765, not a URL)";
  }
  return {};
}

// An Origin header value: scheme://host[:port], no path. Browsers send exactly this form,
// so anything else could never match and is a typo worth reporting.
std::string check_origin_entry(std::string_view entry) {
  if (entry.empty()) return "entries must not be empty";
  if (has_space_or_control(entry)) return "'" + std::string(entry) + "' contains whitespace";
  const auto scheme_end = entry.find("://");
  const bool has_scheme = scheme_end != std::string_view::npos && scheme_end > 0;
  const auto rest = has_scheme ? entry.substr(scheme_end + 3) : std::string_view{};
  if (!has_scheme || rest.empty() || rest.find('/') != std::string_view::npos) {
    return "'" + std::string(entry) +
           "' is not an origin (write scheme://host[:port], e.g. https://app.example.com)";
  }
  return {};
}

const std::vector<KeySpec>& table() {
  using C = Config;
  using S = ServerConfig;
  using M = McpConfig;
  static const std::vector<KeySpec> specs = [] {
    std::vector<KeySpec> t;
    t.push_back(key<&C::server, &S::listen>("server", "listen", ValueKind::kHostPort));
    t.push_back(integer<&C::server, &S::threads>("server", "threads", 0, 256));
    t.push_back(integer<&C::server, &S::max_body_bytes>("server", "max_body_bytes", 1, kGiB));
    t.push_back(
        integer<&C::server, &S::max_header_bytes>("server", "max_header_bytes", kKiB, kMiB));
    t.push_back(integer<&C::server, &S::header_timeout>("server", "header_timeout_ms", 1, kHourMs));
    t.push_back(integer<&C::server, &S::body_timeout>("server", "body_timeout_ms", 1, kHourMs));
    t.push_back(integer<&C::server, &S::idle_timeout>("server", "idle_timeout_ms", 1, kDayMs));
    t.push_back(
        integer<&C::server, &S::max_connections>("server", "max_connections", 1, 1'000'000));
    t.push_back(integer<&C::server, &S::max_pipelined>("server", "max_pipelined", 1, 1024));
    KeySpec hosts =
        key<&C::server, &S::allowed_hosts>("server", "allowed_hosts", ValueKind::kStringList);
    hosts.check_entry = &check_host_entry;
    t.push_back(hosts);
    KeySpec origins =
        key<&C::server, &S::allowed_origins>("server", "allowed_origins", ValueKind::kStringList);
    origins.check_entry = &check_origin_entry;
    t.push_back(origins);
    t.push_back(key<&C::server, &S::auth_tokens>("server", "auth_tokens", ValueKind::kSecretList));
    t.push_back(
        integer<&C::server, &S::shutdown_grace>("server", "shutdown_grace_ms", 0, 10 * kMinuteMs));
    t.push_back(integer<&C::server, &S::sse_keepalive>("server", "sse_keepalive_ms", 1, kHourMs));

    t.push_back(key<&C::metrics, &MetricsConfig::enabled>("metrics", "enabled", ValueKind::kBool));
    t.push_back(
        key<&C::metrics, &MetricsConfig::listen>("metrics", "listen", ValueKind::kHostPort));

    KeySpec level = key<&C::logging, &LoggingConfig::level>("logging", "level", ValueKind::kString);
    level.choices = kLogLevels;
    t.push_back(level);
    KeySpec format =
        key<&C::logging, &LoggingConfig::format>("logging", "format", ValueKind::kString);
    format.choices = kLogFormats;
    t.push_back(format);

    t.push_back(key<&C::mcp, &M::server_name>("mcp", "server_name", ValueKind::kString));
    t.push_back(integer<&C::mcp, &M::session_idle_timeout>("mcp", "session_idle_timeout_ms", 1000,
                                                           7 * kDayMs));
    t.push_back(integer<&C::mcp, &M::max_sessions>("mcp", "max_sessions", 1, 10'000'000));
    t.push_back(integer<&C::mcp, &M::max_message_bytes>("mcp", "max_message_bytes", 1, kGiB));
    t.push_back(integer<&C::mcp, &M::max_json_depth>("mcp", "max_json_depth", 1, 10'000));
    t.push_back(integer<&C::mcp, &M::page_size>("mcp", "page_size", 1, 10'000));
    t.push_back(integer<&C::mcp, &M::sse_replay_events>("mcp", "sse_replay_events", 0, 1'000'000));
    t.push_back(integer<&C::mcp, &M::sse_retry>("mcp", "sse_retry_ms", 0, kHourMs));
    t.push_back(integer<&C::mcp, &M::list_ttl_ms>("mcp", "list_ttl_ms", 0, kDayMs));
    return t;
  }();
  return specs;
}

std::string upper(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return out;
}

std::string join(std::span<const std::string_view> names) {
  std::string out;
  for (std::string_view name : names) {
    if (!out.empty()) out += ", ";
    out.append(name);
  }
  return out;
}

}  // namespace

std::string KeySpec::dotted() const {
  return std::string(section) + "." + std::string(name);
}

std::string KeySpec::env_var() const {
  return std::string(kEnvPrefix) + upper(section) + "_" + upper(name);
}

std::span<const KeySpec> key_specs() {
  return table();
}

std::vector<std::string_view> section_names() {
  std::vector<std::string_view> names;
  for (const KeySpec& spec : table()) {
    if (std::find(names.begin(), names.end(), spec.section) == names.end()) {
      names.push_back(spec.section);
    }
  }
  return names;
}

const KeySpec* find_key(std::string_view section, std::string_view name) {
  for (const KeySpec& spec : table()) {
    if (spec.section == section && spec.name == name) return &spec;
  }
  return nullptr;
}

std::string describe_expected(const KeySpec& spec) {
  switch (spec.kind) {
    case ValueKind::kBool:
      return "a boolean (true or false)";
    case ValueKind::kInteger:
      return "an integer";
    case ValueKind::kString:
      return spec.choices.empty() ? "a string" : "one of " + join(spec.choices);
    case ValueKind::kHostPort:
      return "a HOST:PORT string";
    case ValueKind::kStringList:
      return "an array of strings";
    case ValueKind::kSecretList:
      return "an array of tokens (strings, { env = \"VAR\" } or { file = \"/path\" })";
  }
  return "a value";
}

std::string check_value(const KeySpec& spec, const Value& value) {
  if (const auto* number = std::get_if<std::int64_t>(&value)) {
    if (*number < spec.min || *number > spec.max) {
      return std::to_string(*number) + " is out of range (expected " + std::to_string(spec.min) +
             " to " + std::to_string(spec.max) + ")";
    }
  } else if (const auto* text = std::get_if<std::string>(&value)) {
    if (!spec.choices.empty()) {
      if (std::find(spec.choices.begin(), spec.choices.end(), *text) == spec.choices.end()) {
        const std::vector<std::string> choices(spec.choices.begin(), spec.choices.end());
        return "expected one of " + join(spec.choices) + ", got '" + *text + "'" +
               did_you_mean(*text, choices);
      }
    } else if (text->empty()) {
      return "must not be empty";
    }
  } else if (const auto* list = std::get_if<std::vector<std::string>>(&value)) {
    if (spec.check_entry != nullptr) {
      for (std::size_t i = 0; i < list->size(); ++i) {
        std::string reason = spec.check_entry((*list)[i]);
        if (!reason.empty()) return "entry " + std::to_string(i + 1) + ": " + reason;
      }
    }
  } else if (const auto* secrets = std::get_if<std::vector<Secret>>(&value)) {
    for (std::size_t i = 0; i < secrets->size(); ++i) {
      const std::string& token = (*secrets)[i].value;
      if (token.empty()) return "token " + std::to_string(i + 1) + " is empty";
      // A bearer token travels in one header field; whitespace could never match.
      if (has_space_or_control(token)) {
        return "token " + std::to_string(i + 1) + " contains whitespace or control characters";
      }
    }
  }
  return {};
}

}  // namespace shield::config::detail

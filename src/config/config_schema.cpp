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
void assign(Secret& field, Value&& value) {
  field = std::get<Secret>(std::move(value));
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
Value as_value(const Secret& field) {
  return field;
}

// kField may point into a base of the section's type (BackendConfig in QdrantConfig), so one
// list of shared keys serves every backend section.
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

bool equals_ignoring_case(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

bool all_digits(std::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
    return std::isdigit(static_cast<unsigned char>(c)) != 0;
  });
}

// A backend's base URL: http(s)://host[:port][/path]. Credentials are refused without
// echoing the value (it would put a password in the error), and so are a query and a
// fragment, which could never combine with the request paths appended to the base.
std::string check_url(std::string_view url) {
  if (url.empty()) return "must not be empty";
  const auto scheme_end = url.find("://");
  const std::string_view scheme =
      scheme_end == std::string_view::npos ? std::string_view{} : url.substr(0, scheme_end);
  if (!equals_ignoring_case(scheme, "http") && !equals_ignoring_case(scheme, "https")) {
    if (url.find('@') != std::string_view::npos) return "must be an http:// or https:// URL";
    return "'" + std::string(url) +
           "' is not an http:// or https:// URL (e.g. http://127.0.0.1:6333)";
  }
  const std::string_view rest = url.substr(scheme_end + 3);
  const std::string_view authority = rest.substr(0, rest.find_first_of("/?#"));
  if (authority.find('@') != std::string_view::npos) {
    return "must not contain credentials (user:password@); put the key in api_key";
  }
  const std::string quoted = "'" + std::string(url) + "'";
  if (has_space_or_control(url)) return quoted + " contains whitespace";
  if (rest.find_first_of("?#") != std::string_view::npos) {
    return quoted + " must not have a query or fragment (write the base URL only)";
  }
  std::string_view host = authority;
  std::string_view port;
  if (authority.starts_with('[')) {
    const auto close = authority.find(']');
    if (close == std::string_view::npos) return quoted + " has an unclosed IPv6 bracket";
    host = authority.substr(0, close + 1);
    const std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return quoted + " has text after the IPv6 address";
      port = after.substr(1);
      if (port.empty()) return quoted + " has an empty port";
    }
  } else if (const auto colon = authority.rfind(':'); colon != std::string_view::npos) {
    host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
    if (port.empty()) return quoted + " has an empty port";
  }
  if (host.empty() || host == "[]") return quoted + " has no host";
  if (!port.empty()) {
    if (!all_digits(port) || port.size() > 5 || std::stoi(std::string(port)) < 1 ||
        std::stoi(std::string(port)) > 65535) {
      return quoted + ": port must be a number from 1 to 65535";
    }
  }
  return {};
}

// A Go duration as Ollama parses keep_alive: "5m", "1h30m", "300ms", "0", "-1m" (a negative
// value keeps the model loaded). A bare number other than 0 has no unit and Ollama refuses it.
std::string check_go_duration(std::string_view text) {
  std::string bad = "'" + std::string(text) +
                    "' is not a duration (write e.g. \"5m\", \"1h30m\", \"0\", or \"-1m\" "
                    "to keep the model loaded)";
  std::string_view rest = text;
  if (!rest.empty() && (rest.front() == '-' || rest.front() == '+')) rest.remove_prefix(1);
  if (rest == "0") return {};
  if (rest.empty()) return bad;
  static constexpr std::array<std::string_view, 7> kUnits{"ns", "us", "\xc2\xb5s", "ms",
                                                          "s",  "m",  "h"};
  while (!rest.empty()) {
    std::size_t digits = 0;
    bool seen_digit = false;
    bool seen_dot = false;
    while (digits < rest.size()) {
      const char c = rest[digits];
      if (std::isdigit(static_cast<unsigned char>(c)) != 0) {
        seen_digit = true;
      } else if (c == '.' && !seen_dot) {
        seen_dot = true;
      } else {
        break;
      }
      ++digits;
    }
    if (!seen_digit) return bad;
    rest.remove_prefix(digits);
    // Longest unit first, so "ms" is not read as "m" followed by "s".
    std::size_t unit_length = 0;
    for (std::string_view unit : kUnits) {
      if (rest.starts_with(unit) && unit.size() > unit_length) unit_length = unit.size();
    }
    if (unit_length == 0) return bad;
    rest.remove_prefix(unit_length);
  }
  return {};
}

// Qdrant keeps a collection in a directory named after it, so it refuses the characters
// file systems do; catching them here beats a 422 on the first call.
std::string check_collection(std::string_view name) {
  if (name.empty()) return "must not be empty";
  if (name.size() > 255) return "must be at most 255 bytes long";
  if (has_space_or_control(name) || name.find_first_of("<>:\"/\\|?*") != std::string_view::npos) {
    return "'" + std::string(name) +
           "' contains a character Qdrant refuses in collection names (whitespace or "
           "<>:\"/\\|?*)";
  }
  return {};
}

// A name sent as a JSON string or a header value, where whitespace is always a typo.
std::string check_name(std::string_view name) {
  if (has_space_or_control(name)) return "'" + std::string(name) + "' contains whitespace";
  return {};
}

constexpr std::array<std::string_view, 2> kBreakerModes{"consecutive", "rate"};
constexpr std::array<std::string_view, 2> kEmbedderProviders{"ollama", "openai"};
constexpr std::array<std::string_view, 4> kDistances{"Cosine", "Dot", "Euclid", "Manhattan"};
constexpr std::array<std::string_view, 2> kLightragModes{"orchestrator", "direct"};
constexpr std::array<std::string_view, 4> kSinkKinds{"orchestrator", "qdrant", "lightrag",
                                                     "directory"};

// A file system path, relative ones from the working directory. Any byte a file name may
// hold is fine, except control characters, which are always a paste accident.
std::string check_path(std::string_view path) {
  if (std::any_of(path.begin(), path.end(), [](char c) {
        const auto byte = static_cast<unsigned char>(c);
        return byte < 0x20 || byte == 0x7f;
      })) {
    return "the path contains a control character";
  }
  return {};
}

template <auto kSection, auto kField>
KeySpec text(std::string_view section, std::string_view name,
             std::string (*check)(std::string_view) = nullptr, bool allow_empty = false) {
  KeySpec spec = key<kSection, kField>(section, name, ValueKind::kString);
  spec.check_entry = check;
  spec.allow_empty = allow_empty;
  return spec;
}

template <auto kSection, auto kField>
KeySpec choice(std::string_view section, std::string_view name,
               std::span<const std::string_view> choices) {
  KeySpec spec = key<kSection, kField>(section, name, ValueKind::kString);
  spec.choices = choices;
  return spec;
}

// url and api_key open every backend section, before the keys of that backend.
template <auto kSection>
void add_backend_address(std::vector<KeySpec>& t, std::string_view section) {
  using B = BackendConfig;
  t.push_back(text<kSection, &B::url>(section, "url", &check_url));
  t.push_back(key<kSection, &B::api_key>(section, "api_key", ValueKind::kSecret));
}

// Timeouts, limits, circuit breaker and retries close every backend section. The bounds
// match resilience::validate(), so a config that loads always builds its breaker.
template <auto kSection>
void add_backend_calls(std::vector<KeySpec>& t, std::string_view section) {
  using B = BackendConfig;
  t.push_back(
      integer<kSection, &B::connect_timeout>(section, "connect_timeout_ms", 1, 10 * kMinuteMs));
  t.push_back(integer<kSection, &B::timeout>(section, "timeout_ms", 1, kHourMs));
  t.push_back(integer<kSection, &B::max_response_bytes>(section, "max_response_bytes", kKiB, kGiB));
  t.push_back(integer<kSection, &B::max_in_flight>(section, "max_in_flight", 1, 100'000));
  t.push_back(choice<kSection, &B::breaker_mode>(section, "breaker_mode", kBreakerModes));
  t.push_back(integer<kSection, &B::breaker_failure_threshold>(section, "breaker_failure_threshold",
                                                               1, 10'000));
  t.push_back(integer<kSection, &B::breaker_open>(section, "breaker_open_ms", 1, kDayMs));
  t.push_back(integer<kSection, &B::breaker_half_open_probes>(section, "breaker_half_open_probes",
                                                              1, 1000));
  t.push_back(integer<kSection, &B::breaker_failure_rate>(section, "breaker_failure_rate", 1, 100));
  t.push_back(
      integer<kSection, &B::breaker_minimum_calls>(section, "breaker_minimum_calls", 1, 1'000'000));
  t.push_back(integer<kSection, &B::breaker_window>(section, "breaker_window_ms", 1000, kDayMs));
  t.push_back(integer<kSection, &B::retry_max_attempts>(section, "retry_max_attempts", 1, 10));
  t.push_back(
      integer<kSection, &B::retry_base_delay>(section, "retry_base_delay_ms", 1, 10 * kMinuteMs));
  t.push_back(
      integer<kSection, &B::retry_max_delay>(section, "retry_max_delay_ms", 1, 10 * kMinuteMs));
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
    t.push_back(text<&C::server, &S::public_url>("server", "public_url", &check_url, true));

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

    add_backend_address<&C::orchestrator>(t, "orchestrator");
    add_backend_calls<&C::orchestrator>(t, "orchestrator");

    using Q = QdrantConfig;
    add_backend_address<&C::qdrant>(t, "qdrant");
    t.push_back(text<&C::qdrant, &Q::collection>("qdrant", "collection", &check_collection));
    t.push_back(
        key<&C::qdrant, &Q::collection_locked>("qdrant", "collection_locked", ValueKind::kBool));
    t.push_back(text<&C::qdrant, &Q::vector_name>("qdrant", "vector_name", &check_name, true));
    t.push_back(choice<&C::qdrant, &Q::distance>("qdrant", "distance", kDistances));
    t.push_back(key<&C::qdrant, &Q::read_only>("qdrant", "read_only", ValueKind::kBool));
    t.push_back(key<&C::qdrant, &Q::allow_arbitrary_filters>("qdrant", "allow_arbitrary_filters",
                                                             ValueKind::kBool));
    add_backend_calls<&C::qdrant>(t, "qdrant");

    using E = EmbedderConfig;
    add_backend_address<&C::embedder>(t, "embedder");
    t.push_back(choice<&C::embedder, &E::provider>("embedder", "provider", kEmbedderProviders));
    t.push_back(text<&C::embedder, &E::model>("embedder", "model", &check_name));
    t.push_back(integer<&C::embedder, &E::dimensions>("embedder", "dimensions", 0, 65'536));
    t.push_back(key<&C::embedder, &E::truncate>("embedder", "truncate", ValueKind::kBool));
    t.push_back(text<&C::embedder, &E::keep_alive>("embedder", "keep_alive", &check_go_duration));
    t.push_back(integer<&C::embedder, &E::batch_size>("embedder", "batch_size", 1, 2048));
    t.push_back(integer<&C::embedder, &E::max_concurrency>("embedder", "max_concurrency", 1, 1024));
    t.push_back(
        integer<&C::embedder, &E::cache_entries>("embedder", "cache_entries", 0, 100'000'000));
    t.push_back(integer<&C::embedder, &E::cache_bytes>("embedder", "cache_bytes", 0, 16 * kGiB));
    add_backend_calls<&C::embedder>(t, "embedder");

    add_backend_address<&C::lightrag>(t, "lightrag");
    t.push_back(choice<&C::lightrag, &LightragConfig::mode>("lightrag", "mode", kLightragModes));
    add_backend_calls<&C::lightrag>(t, "lightrag");

    using J = JobsConfig;
    t.push_back(text<&C::jobs, &J::state_dir>("jobs", "state_dir", &check_path));
    t.push_back(integer<&C::jobs, &J::queue_capacity>("jobs", "queue_capacity", 1, 1'000'000));
    t.push_back(integer<&C::jobs, &J::crawl_concurrency>("jobs", "crawl_concurrency", 1, 256));
    t.push_back(integer<&C::jobs, &J::ingest_concurrency>("jobs", "ingest_concurrency", 1, 256));
    t.push_back(integer<&C::jobs, &J::retention>("jobs", "retention_ms", 1000, 365 * kDayMs));
    t.push_back(integer<&C::jobs, &J::poll_after_s>("jobs", "poll_after_s", 1, 3600));
    t.push_back(
        integer<&C::jobs, &J::max_events_per_job>("jobs", "max_events_per_job", 1, 1'000'000));
    t.push_back(
        integer<&C::jobs, &J::max_upload_bytes>("jobs", "max_upload_bytes", kKiB, 16 * kGiB));
    t.push_back(key<&C::jobs, &J::resume_running>("jobs", "resume_running", ValueKind::kBool));

    using K = SinkConfig;
    t.push_back(choice<&C::sink, &K::kind>("sink", "kind", kSinkKinds));
    t.push_back(text<&C::sink, &K::directory>("sink", "directory", &check_path));
    t.push_back(text<&C::sink, &K::collection>("sink", "collection", &check_collection, true));
    t.push_back(integer<&C::sink, &K::chunk_tokens>("sink", "chunk_tokens", 16, 32'768));
    t.push_back(
        integer<&C::sink, &K::chunk_overlap_tokens>("sink", "chunk_overlap_tokens", 0, 32'767));
    t.push_back(integer<&C::sink, &K::batch_documents>("sink", "batch_documents", 1, 10'000));
    t.push_back(integer<&C::sink, &K::retry_budget>("sink", "retry_budget_ms", 0, 7 * kDayMs));
    t.push_back(
        integer<&C::sink, &K::retry_base_delay>("sink", "retry_base_delay_ms", 1, 10 * kMinuteMs));
    t.push_back(integer<&C::sink, &K::retry_max_delay>("sink", "retry_max_delay_ms", 1, kHourMs));
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
    case ValueKind::kSecret:
      return "a string, { env = \"VAR\" } or { file = \"/path\" }";
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
      if (!spec.allow_empty) return "must not be empty";
    } else if (spec.check_entry != nullptr) {
      return spec.check_entry(*text);
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
  } else if (const auto* secret = std::get_if<Secret>(&value)) {
    // It travels in one header field, where whitespace could never be meant.
    if (has_space_or_control(secret->value)) {
      return "the key contains whitespace or control characters";
    }
  }
  return {};
}

}  // namespace shield::config::detail

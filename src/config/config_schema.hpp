#pragma once
// The table of every configuration key: its section, name, kind, bounds and the Config
// field it fills. The TOML reader, the environment reader, the renderer and the unknown-key
// suggestions all walk this one table, so a new key is one line here plus its field.
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "shield/config/config.hpp"

namespace shield::config::detail {

enum class ValueKind {
  kBool,
  kInteger,     // bounded by [min, max]; durations (`_ms`) and sizes are integers too
  kString,      // one of `choices` when given, otherwise any string (empty only when
                // `allow_empty`), checked by `check_entry` when given
  kHostPort,    // HOST:PORT, parsed by parse_host_port
  kStringList,  // each entry checked by `check_entry` when given
  kSecretList,  // tokens: literals, { env = "VAR" } or { file = "/path" }; in the
                // environment also <VAR>_FILE, a file holding one token per line
  kSecret,      // one secret, empty for none: a literal, { env = "VAR" } or
                // { file = "/path" }; in the environment also <VAR>_FILE naming a file
};

using Value = std::variant<bool, std::int64_t, std::string, HostPort, std::vector<std::string>,
                           std::vector<Secret>, Secret>;

struct KeySpec {
  std::string_view section;
  std::string_view name;
  ValueKind kind;
  std::int64_t min = 0;
  std::int64_t max = 0;
  std::span<const std::string_view> choices{};
  bool allow_empty = false;  // kString without choices: "" is a meaningful value
  // Empty when `entry` (a string, or one entry of a string list) is acceptable, otherwise
  // why it is not.
  std::string (*check_entry)(std::string_view entry) = nullptr;
  void (*store)(Config&, Value&&) = nullptr;
  Value (*load)(const Config&) = nullptr;

  [[nodiscard]] std::string dotted() const;   // "server.max_body_bytes"
  [[nodiscard]] std::string env_var() const;  // "SHIELD_MCP_SERVER_MAX_BODY_BYTES"
};

inline constexpr std::string_view kEnvPrefix = "SHIELD_MCP_";

std::span<const KeySpec> key_specs();
std::vector<std::string_view> section_names();
const KeySpec* find_key(std::string_view section, std::string_view name);

// What the key takes, for "expected ..., got ..." messages: "an integer", "one of text, json".
std::string describe_expected(const KeySpec& spec);

// Checks an integer against the key's bounds and a string against its choices or entry
// rule. Empty when fine, otherwise the reason (never containing a secret).
std::string check_value(const KeySpec& spec, const Value& value);

}  // namespace shield::config::detail

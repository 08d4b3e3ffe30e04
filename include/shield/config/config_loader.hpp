#pragma once
// Builds the effective Config: built-in defaults, then the TOML file, then the environment
// (SHIELD_MCP_<SECTION>_<KEY>). Flags come last, through apply_overrides().
//
// Errors are values (kInvalidArgument, or kNotFound for a missing file). Every problem
// found is reported, one per line, each naming the exact key ("server.max_body_bytes") or
// environment variable and saying why. Unknown sections, keys and SHIELD_MCP_* variables
// are errors, with a suggestion when the name is close to a real one. Messages never
// contain a secret. Pure functions of their inputs (the environment is passed in), so
// they are safe from any thread.
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "shield/config/config.hpp"
// The rest of the start-up path (flags, the shipped text), so main() needs one include.
#include "shield/config/config_overrides.hpp"
#include "shield/config/config_text.hpp"
#include "shield/util/error.hpp"

namespace shield::config {

// Environment variables by name. Tests pass a fake one; the daemon passes
// process_environment().
using EnvMap = std::map<std::string, std::string, std::less<>>;

// A copy of the process environment (`environ`).
EnvMap process_environment();

// Reads `file` when given (kNotFound naming the path when it does not exist), then applies
// `env`. Relative `{ file = ... }` secret paths are resolved against the file's directory.
Result<Config> load_config(const std::optional<std::filesystem::path>& file, const EnvMap& env);

// As load_config(), from TOML text already in memory. `source` names it in error messages
// and anchors relative secret file paths.
Result<Config> parse_config(std::string_view toml_text, const std::filesystem::path& source,
                            const EnvMap& env);

// Rules that span keys (metrics.listen must differ from server.listen, a backend's
// retry_max_delay_ms must not be below its retry_base_delay_ms, embedder.max_concurrency
// must not exceed embedder.max_in_flight). load_config()
// and parse_config() apply them; call it again after apply_overrides().
Result<void> validate_config(const Config& config);

}  // namespace shield::config

#pragma once
// The configuration as TOML text: the shipped, documented default file, and the effective
// configuration with secrets redacted. Pure functions; safe from any thread.
#include <string>

#include "shield/config/config.hpp"

namespace shield::config {

// The exact bytes of config/shield-mcp.toml (every key at its default, documented).
// A unit test keeps the two identical.
std::string default_config_toml();

// `config` as TOML, every key in the shipped file's order. Secrets are never written:
// `auth_tokens` renders as "<redacted: N tokens>" (or [] when there are none) and a set
// `api_key` as "<redacted key>", so the text is safe to print and to log.
std::string render_config(const Config& config);

}  // namespace shield::config

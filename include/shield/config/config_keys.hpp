#pragma once
// The list of configuration keys, for documentation checks and help text.
#include <string>
#include <vector>

namespace shield::config {

struct ConfigKey {
  std::string name;     // dotted TOML name, "server.max_body_bytes"
  std::string env_var;  // "SHIELD_MCP_SERVER_MAX_BODY_BYTES"
};

// Every key, in the order of config/shield-mcp.toml.
std::vector<ConfigKey> config_keys();

}  // namespace shield::config

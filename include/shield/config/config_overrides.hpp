#pragma once
// Command-line flags: the last and strongest layer, over the file and the environment.
// main() parses the flags (CLI11) into this struct; values are already validated there
// (HOST:PORT goes through parse_host_port), so applying them cannot fail.
#include <optional>

#include "shield/config/config.hpp"
#include "shield/util/host_port.hpp"

namespace shield::config {

struct ConfigOverrides {
  std::optional<HostPort> listen;          // --listen
  std::optional<HostPort> metrics_listen;  // --metrics-listen
};

// Replaces each field of `config` for which `overrides` holds a value.
void apply_overrides(Config& config, const ConfigOverrides& overrides);

}  // namespace shield::config

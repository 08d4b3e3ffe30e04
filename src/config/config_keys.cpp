#include "shield/config/config_keys.hpp"

#include "config_schema.hpp"

namespace shield::config {

std::vector<ConfigKey> config_keys() {
  std::vector<ConfigKey> keys;
  for (const detail::KeySpec& spec : detail::key_specs()) {
    keys.push_back(ConfigKey{spec.dotted(), spec.env_var()});
  }
  return keys;
}

}  // namespace shield::config

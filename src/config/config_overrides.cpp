#include "shield/config/config_overrides.hpp"

namespace shield::config {

void apply_overrides(Config& config, const ConfigOverrides& overrides) {
  if (overrides.listen) config.server.listen = *overrides.listen;
  if (overrides.metrics_listen) config.metrics.listen = *overrides.metrics_listen;
}

}  // namespace shield::config

#pragma once
// Reads one sample back from a prometheus registry, the way a scrape would see it, so tests
// assert on what /metrics exports rather than on our own bookkeeping.
#include <map>
#include <optional>
#include <string>

#include <prometheus/registry.h>

namespace shield::resilience::test_support {

using Labels = std::map<std::string, std::string>;

// The value of a counter or gauge, or a histogram's sample count; nullopt when the family
// or the labelled series does not exist.
inline std::optional<double> read_metric(const prometheus::Registry& registry,
                                         const std::string& family, const Labels& labels) {
  for (const prometheus::MetricFamily& f : registry.Collect()) {
    if (f.name != family) continue;
    for (const prometheus::ClientMetric& m : f.metric) {
      Labels have;
      for (const auto& pair : m.label) have[pair.name] = pair.value;
      if (have != labels) continue;
      switch (f.type) {
        case prometheus::MetricType::Counter:
          return m.counter.value;
        case prometheus::MetricType::Gauge:
          return m.gauge.value;
        case prometheus::MetricType::Histogram:
          return static_cast<double>(m.histogram.sample_count);
        default:
          return std::nullopt;
      }
    }
  }
  return std::nullopt;
}

}  // namespace shield::resilience::test_support

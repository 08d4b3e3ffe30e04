#pragma once
// "Did you mean ...?" for mistyped keys, sections, environment variables and choices.
#include <span>
#include <string>
#include <string_view>

namespace shield::config::detail {

// The candidate closest to `typed` by edit distance (case-insensitive), or empty when
// none is close enough to be a plausible typo.
std::string closest_name(std::string_view typed, std::span<const std::string> candidates);

// " (did you mean 'x'?)" or "" when nothing is close.
std::string did_you_mean(std::string_view typed, std::span<const std::string> candidates);

}  // namespace shield::config::detail

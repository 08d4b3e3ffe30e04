#include "suggestion.hpp"

#include <algorithm>
#include <cctype>
#include <vector>

namespace shield::config::detail {
namespace {

std::size_t edit_distance(std::string_view a, std::string_view b) {
  auto lower = [](char c) { return std::tolower(static_cast<unsigned char>(c)); };
  std::vector<std::size_t> previous(b.size() + 1);
  std::vector<std::size_t> current(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) previous[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    current[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t substitution =
          previous[j - 1] + (lower(a[i - 1]) == lower(b[j - 1]) ? 0 : 1);
      current[j] = std::min({previous[j] + 1, current[j - 1] + 1, substitution});
    }
    std::swap(previous, current);
  }
  return previous[b.size()];
}

}  // namespace

std::string closest_name(std::string_view typed, std::span<const std::string> candidates) {
  // Short names tolerate two edits; long ones about one in four characters, so a dropped
  // "_ms" suffix on a long duration key is still recognised.
  const std::size_t limit = std::max<std::size_t>(2, typed.size() / 4);
  std::size_t best = limit + 1;
  std::string found;
  for (const std::string& candidate : candidates) {
    const std::size_t distance = edit_distance(typed, candidate);
    if (distance < best) {
      best = distance;
      found = candidate;
    }
  }
  if (!found.empty()) return found;
  // A longer or shorter spelling of the same word ("warning" for "warn").
  for (const std::string& candidate : candidates) {
    const std::size_t shorter = std::min(candidate.size(), typed.size());
    if (shorter >= 3 && edit_distance(typed.substr(0, shorter),
                                      std::string_view(candidate).substr(0, shorter)) == 0) {
      return candidate;
    }
  }
  return found;
}

std::string did_you_mean(std::string_view typed, std::span<const std::string> candidates) {
  const std::string found = closest_name(typed, candidates);
  return found.empty() ? std::string() : " (did you mean '" + found + "'?)";
}

}  // namespace shield::config::detail

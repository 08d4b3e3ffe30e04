#include "shield/jobs/job.hpp"

#include <array>
#include <cstdio>
#include <ctime>

#include "job_id.hpp"
#include "shield/util/rfc3339.hpp"
#include "shield/util/secure_token.hpp"

namespace shield::jobs {
namespace {

constexpr std::array kKinds = {std::pair{JobKind::kCrawl, std::string_view("crawl")},
                               std::pair{JobKind::kIngest, std::string_view("ingest")}};

constexpr std::array kStates = {std::pair{JobState::kQueued, std::string_view("queued")},
                                std::pair{JobState::kRunning, std::string_view("running")},
                                std::pair{JobState::kSucceeded, std::string_view("succeeded")},
                                std::pair{JobState::kFailed, std::string_view("failed")},
                                std::pair{JobState::kCancelled, std::string_view("cancelled")},
                                std::pair{JobState::kInterrupted, std::string_view("interrupted")}};

// RFC 4648 base32, lower case: ids travel in URLs and are read aloud in support tickets,
// where case-insensitive and unambiguous beats short.
constexpr std::string_view kBase32 = "abcdefghijklmnopqrstuvwxyz234567";

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  return c - 'a' + 10;  // random_hex writes lower case only
}

}  // namespace

std::string_view to_string(JobKind kind) noexcept {
  for (const auto& [value, name] : kKinds) {
    if (value == kind) return name;
  }
  return "unknown";
}

std::string_view to_string(JobState state) noexcept {
  for (const auto& [value, name] : kStates) {
    if (value == state) return name;
  }
  return "unknown";
}

std::optional<JobKind> parse_job_kind(std::string_view text) noexcept {
  for (const auto& [value, name] : kKinds) {
    if (name == text) return value;
  }
  return std::nullopt;
}

std::optional<JobState> parse_job_state(std::string_view text) noexcept {
  for (const auto& [value, name] : kStates) {
    if (name == text) return value;
  }
  return std::nullopt;
}

bool is_final(JobState state) noexcept {
  return state != JobState::kQueued && state != JobState::kRunning;
}

std::string new_job_id() {
  // 16 bytes from the kernel CSPRNG, through the shared token code.
  const std::string hex = random_hex(16);
  std::string id = "job_";
  id.reserve(4 + 26);
  unsigned buffer = 0;
  int bits = 0;
  for (std::size_t i = 0; i < hex.size(); i += 2) {
    buffer = (buffer << 8) | static_cast<unsigned>(hex_value(hex[i]) * 16 + hex_value(hex[i + 1]));
    bits += 8;
    while (bits >= 5) {
      id.push_back(kBase32[(buffer >> (bits - 5)) & 0x1f]);
      bits -= 5;
    }
  }
  if (bits > 0) id.push_back(kBase32[(buffer << (5 - bits)) & 0x1f]);
  return id;
}

bool looks_like_job_id(std::string_view text) noexcept {
  if (text.size() != 30 || !text.starts_with("job_")) return false;
  for (char c : text.substr(4)) {
    if (kBase32.find(c) == std::string_view::npos) return false;
  }
  return true;
}

Json Job::to_json() const {
  Json out = {{"job_id", id},
              {"kind", to_string(kind)},
              {"state", to_string(state)},
              {"caller", caller},
              {"progress", progress},
              {"result", result},
              {"remote_job_ids", remote_job_ids},
              {"created_at", format_rfc3339_utc(created_at_ms)},
              {"updated_at", format_rfc3339_utc(updated_at_ms)},
              {"attempts", attempts}};
  if (error) out["error"] = {{"code", error->code}, {"message", error->message}};
  if (started_at_ms) out["started_at"] = format_rfc3339_utc(*started_at_ms);
  if (finished_at_ms) out["finished_at"] = format_rfc3339_utc(*finished_at_ms);
  return out;
}

Json accepted_json(const Job& job, std::string_view base_url, std::int64_t poll_after_s) {
  return Json{{"job_id", job.id},
              {"status", "accepted"},
              {"kind", to_string(job.kind)},
              {"track_url", std::string(base_url) + "/jobs/" + job.id},
              {"poll_after_s", poll_after_s}};
}

}  // namespace shield::jobs

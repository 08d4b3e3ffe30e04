#include "shield/ingest/document_spool.hpp"

#include <algorithm>
#include <cstdio>
#include <system_error>
#include <utility>

#include <fmt/format.h>

#include "durable_file.hpp"
#include "shield/ingest/document_id.hpp"

namespace shield::ingest {
namespace {

constexpr std::size_t kSequenceDigits = 16;
constexpr std::string_view kSuffix = ".json";
constexpr std::string_view kCorruptSuffix = ".corrupt";

// "<16 digits>-<key>.json" → {sequence, key}.
std::optional<std::pair<std::uint64_t, std::string>> parse_name(const std::string& name) {
  if (name.size() <= kSequenceDigits + 1 + kSuffix.size()) return std::nullopt;
  if (!name.ends_with(kSuffix) || name[kSequenceDigits] != '-') return std::nullopt;
  std::uint64_t sequence = 0;
  for (std::size_t i = 0; i < kSequenceDigits; ++i) {
    if (name[i] < '0' || name[i] > '9') return std::nullopt;
    sequence = sequence * 10 + static_cast<std::uint64_t>(name[i] - '0');
  }
  std::string key =
      name.substr(kSequenceDigits + 1, name.size() - kSequenceDigits - 1 - kSuffix.size());
  if (document_file_key(key) != key) return std::nullopt;
  return std::make_pair(sequence, std::move(key));
}

}  // namespace

DocumentSpool::DocumentSpool(std::filesystem::path directory) : directory_(std::move(directory)) {}

Result<std::unique_ptr<DocumentSpool>> DocumentSpool::open(std::filesystem::path directory) {
  if (auto made = detail::ensure_directory(directory); !made) return tl::unexpected(made.error());
  std::unique_ptr<DocumentSpool> spool(new DocumentSpool(std::move(directory)));
  std::error_code error;
  std::filesystem::directory_iterator it(spool->directory_, error);
  if (error) {
    return fail(ErrorCode::kUnavailable,
                fmt::format("could not list {}: {}", spool->directory_.string(), error.message()));
  }
  for (const auto& item : it) {
    const std::string name = item.path().filename().string();
    if (name.starts_with(detail::kTemporaryPrefix)) {
      // Half-written by a process that died before its rename: never a spooled document.
      std::filesystem::remove(item.path(), error);
      continue;
    }
    const auto parsed = parse_name(name);
    if (!parsed) continue;
    const auto& [sequence, key] = *parsed;
    SpoolEntry entry{sequence, key, item.path()};
    // Two files for one key only if a crash hit between writing one and removing the
    // other; the older place in the order wins, the newer content is lost to neither.
    const auto known = spool->by_key_.find(key);
    if (known != spool->by_key_.end()) {
      if (known->second.sequence < sequence) continue;
      known->second = entry;
    } else {
      spool->by_key_.emplace(key, entry);
    }
    spool->next_sequence_ = std::max(spool->next_sequence_, sequence + 1);
  }
  return spool;
}

Result<SpoolEntry> DocumentSpool::put(Document document) {
  if (document.id.empty()) document.id = document_id(document.source);
  const std::string key = document_file_key(document.id);
  const std::string content =
      document.to_json().dump(-1, ' ', false, Json::error_handler_t::replace);
  const std::lock_guard writing(io_mutex_);
  SpoolEntry entry;
  bool known = false;
  {
    const std::lock_guard lock(index_mutex_);
    if (const auto found = by_key_.find(key); found != by_key_.end()) {
      entry = found->second;
      known = true;
    }
  }
  if (!known) {
    entry.sequence = next_sequence_;
    entry.key = key;
    entry.path =
        directory_ / fmt::format("{:0{}}-{}{}", entry.sequence, kSequenceDigits, key, kSuffix);
  }
  if (auto written = detail::write_file_atomically(entry.path, content); !written) {
    return tl::unexpected(written.error());
  }
  if (!known) ++next_sequence_;
  entry.generation = ++last_generation_;
  const std::lock_guard lock(index_mutex_);
  by_key_.insert_or_assign(key, entry);
  return entry;
}

std::vector<SpoolEntry> DocumentSpool::list() const {
  std::vector<SpoolEntry> out;
  {
    const std::lock_guard lock(index_mutex_);
    out.reserve(by_key_.size());
    for (const auto& [key, entry] : by_key_) out.push_back(entry);
  }
  std::sort(out.begin(), out.end(),
            [](const SpoolEntry& a, const SpoolEntry& b) { return a.sequence < b.sequence; });
  return out;
}

Result<Document> DocumentSpool::read(const SpoolEntry& entry) const {
  auto text = detail::read_whole_file(entry.path);
  if (!text) return tl::unexpected(text.error());
  const Json json = Json::parse(*text, nullptr, false);
  if (json.is_discarded()) {
    return fail(ErrorCode::kInternal,
                fmt::format("spooled document {} is not JSON", entry.path.string()));
  }
  auto document = Document::from_json(json);
  if (!document) {
    return fail(ErrorCode::kInternal,
                fmt::format("spooled document {} lacks a field or has one of the wrong type",
                            entry.path.string()));
  }
  return std::move(*document);
}

bool DocumentSpool::is_current(const SpoolEntry& entry) const {
  const std::lock_guard lock(index_mutex_);
  const auto known = by_key_.find(entry.key);
  return known != by_key_.end() && known->second.generation == entry.generation;
}

void DocumentSpool::forget(const SpoolEntry& entry) {
  const std::lock_guard lock(index_mutex_);
  by_key_.erase(entry.key);
}

Result<void> DocumentSpool::remove(const std::vector<SpoolEntry>& entries) {
  if (entries.empty()) return {};
  // Holding the writers' lock, no put() can change an entry between the check and the unlink.
  const std::lock_guard writing(io_mutex_);
  for (const auto& entry : entries) {
    if (!is_current(entry)) continue;
    std::error_code error;
    std::filesystem::remove(entry.path, error);
    if (error) {
      return fail(ErrorCode::kUnavailable,
                  fmt::format("could not remove {}: {}", entry.path.string(), error.message()));
    }
    forget(entry);
  }
  return detail::sync_directory(directory_);
}

Result<void> DocumentSpool::quarantine(const SpoolEntry& entry) {
  const std::lock_guard writing(io_mutex_);
  if (!is_current(entry)) return {};
  std::filesystem::path target = entry.path;
  target += kCorruptSuffix;
  std::error_code error;
  std::filesystem::rename(entry.path, target, error);
  if (error) {
    return fail(ErrorCode::kUnavailable,
                fmt::format("could not set aside {}: {}", entry.path.string(), error.message()));
  }
  forget(entry);
  return detail::sync_directory(directory_);
}

std::size_t DocumentSpool::size() const {
  const std::lock_guard lock(index_mutex_);
  return by_key_.size();
}

}  // namespace shield::ingest

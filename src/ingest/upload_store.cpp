#include "shield/ingest/upload_store.hpp"

#include <algorithm>
#include <system_error>
#include <utility>

#include <fmt/format.h>

#include "durable_file.hpp"
#include "shield/ingest/run_blocking.hpp"
#include "shield/util/base64.hpp"
#include "shield/util/secure_token.hpp"

namespace shield::ingest {
namespace {

constexpr std::size_t kNameBytes = 16;  // 128 random bits: 32 hex characters

std::filesystem::path absolute_normal(const std::filesystem::path& path) {
  std::error_code ignored;
  std::filesystem::path absolute = std::filesystem::absolute(path, ignored);
  if (absolute.empty()) absolute = path;
  return absolute.lexically_normal();
}

bool is_upload_name(const std::string& name) {
  return name.size() == 2 * kNameBytes && std::all_of(name.begin(), name.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

}  // namespace

UploadStoreOptions UploadStoreOptions::from(const config::JobsConfig& jobs) {
  UploadStoreOptions options;
  options.state_dir = jobs.state_dir;
  options.max_upload_bytes = jobs.max_upload_bytes;
  return options;
}

UploadStore::UploadStore(UploadStoreOptions options, boost::asio::any_io_executor blocking)
    : options_(std::move(options)),
      // Absolute, so the paths in job input stay right if the working directory changes.
      directory_(absolute_normal(options_.state_dir / "uploads")),
      blocking_(std::move(blocking)) {}

bool UploadStore::owns(const std::filesystem::path& path) const {
  if (!path.is_absolute()) return false;
  const std::filesystem::path normal = path.lexically_normal();
  return normal.parent_path() == directory_ && is_upload_name(normal.filename().string());
}

Result<void> UploadStore::ensure_directory() const {
  if (auto made = detail::ensure_directory(directory_); !made) return made;
  // Uploads may be private documents: only the daemon's user may list or read them.
  std::error_code error;
  std::filesystem::permissions(directory_, std::filesystem::perms::owner_all,
                               std::filesystem::perm_options::replace, error);
  if (error) {
    return fail(ErrorCode::kUnavailable, fmt::format("could not restrict access to {}: {}",
                                                     directory_.string(), error.message()));
  }
  return {};
}

Result<std::filesystem::path> UploadStore::store_blocking(std::string_view data) const {
  if (auto made = ensure_directory(); !made) return tl::unexpected(made.error());
  std::filesystem::path path = directory_ / random_hex(kNameBytes);
  if (auto written = detail::write_file_atomically(path, data); !written) {
    return fail(written.error().code,
                fmt::format("could not store the upload: {}", written.error().message));
  }
  return path;
}

boost::asio::awaitable<Result<std::filesystem::path>> UploadStore::store(std::string_view data) {
  if (data.size() > options_.max_upload_bytes) {
    co_return fail(ErrorCode::kInvalidArgument,
                   fmt::format("the upload is {} bytes, more than the limit of {} bytes "
                               "(jobs.max_upload_bytes)",
                               data.size(), options_.max_upload_bytes));
  }
  // A named awaitable: GCC 12 mishandles temporaries (the executor copy) in co_await.
  auto storing = run_blocking(blocking_, [this, &data] { return store_blocking(data); });
  auto stored = co_await std::move(storing);
  co_return stored;
}

boost::asio::awaitable<Result<Json>> UploadStore::keep(std::string_view data) {
  if (data.size() > options_.max_upload_bytes) {
    co_return fail(ErrorCode::kInvalidArgument,
                   fmt::format("the upload is {} bytes, more than the limit of {} bytes "
                               "(jobs.max_upload_bytes)",
                               data.size(), options_.max_upload_bytes));
  }
  if (data.size() <= kInlineUploadMaxBytes) co_return Json{{"inline", encode_base64(data)}};
  auto storing = store(data);
  auto stored = co_await std::move(storing);
  if (!stored) co_return tl::unexpected(stored.error());
  co_return Json{{"upload", stored->string()}};
}

Result<void> UploadStore::remove_blocking(const std::filesystem::path& path) const {
  std::error_code error;
  const bool removed = std::filesystem::remove(path, error);
  if (error) {
    return fail(ErrorCode::kUnavailable,
                fmt::format("could not remove the upload {}: {}", path.string(), error.message()));
  }
  if (!removed) return {};
  return detail::sync_directory(directory_);
}

boost::asio::awaitable<Result<void>> UploadStore::remove(std::filesystem::path path) {
  if (!owns(path)) {
    co_return fail(ErrorCode::kInvalidArgument,
                   fmt::format("refusing to remove {}: it is not an upload in {}", path.string(),
                               directory_.string()));
  }
  auto removing = run_blocking(blocking_, [this, &path] { return remove_blocking(path); });
  auto removed = co_await std::move(removing);
  co_return removed;
}

Result<std::size_t> UploadStore::sweep_blocking(
    const std::set<std::filesystem::path>& referenced) const {
  if (auto made = ensure_directory(); !made) return tl::unexpected(made.error());
  std::set<std::string> keep;
  for (const auto& path : referenced) {
    if (owns(path)) keep.insert(path.lexically_normal().filename().string());
  }
  std::error_code error;
  std::filesystem::directory_iterator it(directory_, error);
  if (error) {
    return fail(ErrorCode::kUnavailable,
                fmt::format("could not list {}: {}", directory_.string(), error.message()));
  }
  std::size_t deleted = 0;
  for (const auto& item : it) {
    const std::string name = item.path().filename().string();
    if (keep.contains(name) || item.is_directory(error)) continue;
    std::filesystem::remove(item.path(), error);
    if (error) {
      return fail(ErrorCode::kUnavailable,
                  fmt::format("could not remove the unreferenced upload {}: {}",
                              item.path().string(), error.message()));
    }
    ++deleted;
  }
  if (deleted == 0) return deleted;
  if (auto synced = detail::sync_directory(directory_); !synced) {
    return tl::unexpected(synced.error());
  }
  return deleted;
}

boost::asio::awaitable<Result<std::size_t>> UploadStore::sweep(
    std::set<std::filesystem::path> referenced) {
  auto sweeping =
      run_blocking(blocking_, [this, &referenced] { return sweep_blocking(referenced); });
  auto swept = co_await std::move(sweeping);
  co_return swept;
}

}  // namespace shield::ingest

#pragma once
// File writes that survive a crash: a whole file appears at once (written to a temporary
// name beside it, flushed, renamed over, the directory flushed) or not at all, and an
// appended line is flushed before the call returns. Blocking POSIX I/O: call these off the
// event loop. Errors name the path and the system's reason (kUnavailable).
#include <filesystem>
#include <string>
#include <string_view>

#include "shield/util/error.hpp"

namespace shield::ingest::detail {

// Temporary files start with this; a crash can leave one behind, and readers skip them.
inline constexpr std::string_view kTemporaryPrefix = ".tmp-";

Result<void> write_file_atomically(const std::filesystem::path& path, std::string_view content);
// Appends `text` with one write() on an O_APPEND descriptor (so concurrent appenders never
// interleave within it) and flushes it.
Result<void> append_durably(const std::filesystem::path& path, std::string_view text);
Result<void> sync_directory(const std::filesystem::path& directory);
// Creates `directory` (and its parents) if needed, flushing the parent so it stays.
Result<void> ensure_directory(const std::filesystem::path& directory);
Result<std::string> read_whole_file(const std::filesystem::path& path);

}  // namespace shield::ingest::detail

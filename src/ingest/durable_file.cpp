#include "durable_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <system_error>

#include <fmt/format.h>

namespace shield::ingest::detail {
namespace {

tl::unexpected<Error> io_error(std::string_view what, const std::filesystem::path& path,
                               int error_number) {
  return fail(ErrorCode::kUnavailable, fmt::format("could not {} {}: {}", what, path.string(),
                                                   std::generic_category().message(error_number)));
}

// Closes on every path out, so an early error return leaks no descriptor.
class Descriptor {
 public:
  explicit Descriptor(int fd) : fd_(fd) {}
  ~Descriptor() {
    if (fd_ >= 0) ::close(fd_);
  }
  Descriptor(const Descriptor&) = delete;
  Descriptor& operator=(const Descriptor&) = delete;
  [[nodiscard]] int get() const { return fd_; }
  [[nodiscard]] bool valid() const { return fd_ >= 0; }
  // close() reports delayed write errors on some filesystems: check it.
  int close() {
    const int result = ::close(fd_);
    fd_ = -1;
    return result;
  }

 private:
  int fd_;
};

int write_all(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t written = ::write(fd, data.data(), data.size());
    if (written < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    data.remove_prefix(static_cast<std::size_t>(written));
  }
  return 0;
}

std::string temporary_name(const std::filesystem::path& path) {
  static std::atomic<unsigned long long> counter{0};
  return fmt::format("{}{}-{}-{}", kTemporaryPrefix, path.filename().string(), ::getpid(),
                     counter.fetch_add(1));
}

}  // namespace

Result<void> sync_directory(const std::filesystem::path& directory) {
  const Descriptor fd(::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd.valid()) return io_error("open directory", directory, errno);
  if (::fsync(fd.get()) != 0) return io_error("flush directory", directory, errno);
  return {};
}

Result<void> ensure_directory(const std::filesystem::path& directory) {
  std::error_code error;
  if (std::filesystem::is_directory(directory, error)) return {};
  std::filesystem::create_directories(directory, error);
  if (error) return io_error("create directory", directory, error.value());
  const std::filesystem::path parent =
      directory.has_parent_path() ? directory.parent_path() : std::filesystem::path(".");
  return sync_directory(parent.empty() ? std::filesystem::path(".") : parent);
}

Result<void> write_file_atomically(const std::filesystem::path& path, std::string_view content) {
  const std::filesystem::path directory =
      path.has_parent_path() ? path.parent_path() : std::filesystem::path(".");
  const std::filesystem::path temporary = directory / temporary_name(path);
  Descriptor fd(::open(temporary.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
  if (!fd.valid()) return io_error("create", temporary, errno);
  const auto abandon = [&](std::string_view what, int error_number) {
    fd.close();
    ::unlink(temporary.c_str());
    return io_error(what, temporary, error_number);
  };
  if (const int error = write_all(fd.get(), content); error != 0) return abandon("write", error);
  if (::fsync(fd.get()) != 0) return abandon("flush", errno);
  if (fd.close() != 0) {
    const int error = errno;
    ::unlink(temporary.c_str());
    return io_error("close", temporary, error);
  }
  if (::rename(temporary.c_str(), path.c_str()) != 0) {
    const int error = errno;
    ::unlink(temporary.c_str());
    return io_error("rename into place", path, error);
  }
  return sync_directory(directory);
}

Result<void> append_durably(const std::filesystem::path& path, std::string_view text) {
  struct stat before {};
  const bool existed = ::stat(path.c_str(), &before) == 0;
  Descriptor fd(::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644));
  if (!fd.valid()) return io_error("open", path, errno);
  if (const int error = write_all(fd.get(), text); error != 0)
    return io_error("append to", path, error);
  if (::fsync(fd.get()) != 0) return io_error("flush", path, errno);
  if (fd.close() != 0) return io_error("close", path, errno);
  if (!existed) {
    return sync_directory(path.has_parent_path() ? path.parent_path() : std::filesystem::path("."));
  }
  return {};
}

Result<std::string> read_whole_file(const std::filesystem::path& path) {
  const Descriptor fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return io_error("open", path, errno);
  std::string out;
  std::array<char, std::size_t{64} * 1024> buffer{};
  for (;;) {
    const ssize_t got = ::read(fd.get(), buffer.data(), buffer.size());
    if (got < 0) {
      if (errno == EINTR) continue;
      return io_error("read", path, errno);
    }
    if (got == 0) break;
    out.append(buffer.data(), static_cast<std::size_t>(got));
  }
  return out;
}

}  // namespace shield::ingest::detail

#pragma once
// Shared by the config unit tests: the source tree (for the shipped files), a scratch
// directory, and a whole-Config comparison.
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

#include "shield/config/config.hpp"
#include "shield/config/config_text.hpp"

namespace shield::config::testing {

// SHIELD_SOURCE_DIR when set, otherwise derived from this header's own path (CMake passes
// absolute paths, so __FILE__ is <root>/tests/unit/config/config_test_support.hpp).
inline std::filesystem::path source_root() {
  if (const char* dir = std::getenv("SHIELD_SOURCE_DIR"); dir != nullptr && *dir != '\0') {
    return dir;
  }
  return std::filesystem::path(__FILE__).parent_path().parent_path().parent_path().parent_path();
}

inline std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in.good()) << "cannot open " << path;
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// A fresh directory under the system temp dir, removed with everything in it.
class ScratchDir {
 public:
  ScratchDir() {
    static std::atomic<int> counter{0};
    path_ = std::filesystem::temp_directory_path() /
            ("shield-config-test-" + std::to_string(::getpid()) + "-" +
             std::to_string(counter.fetch_add(1)));
    std::filesystem::create_directories(path_);
  }
  ~ScratchDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;

  [[nodiscard]] const std::filesystem::path& path() const { return path_; }
  std::filesystem::path write(const std::string& name, const std::string& text) const {
    const auto file = path_ / name;
    std::ofstream out(file, std::ios::binary);
    out << text;
    return file;
  }

 private:
  std::filesystem::path path_;
};

inline std::vector<std::string> token_values(const Config& config) {
  std::vector<std::string> values;
  for (const Secret& secret : config.server.auth_tokens) values.push_back(secret.value);
  return values;
}

// Every key, through render_config (which walks the full key table), plus the token
// values that rendering redacts.
inline void expect_same_config(const Config& actual, const Config& expected) {
  EXPECT_EQ(render_config(actual), render_config(expected));
  EXPECT_EQ(token_values(actual), token_values(expected));
}

}  // namespace shield::config::testing

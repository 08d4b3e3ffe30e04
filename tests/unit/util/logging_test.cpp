#include "shield/util/logging.hpp"

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>

#include <gtest/gtest.h>
#include <spdlog/details/log_msg.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

namespace shield {
namespace {

// 2023-11-14T22:13:20.123Z
constexpr spdlog::log_clock::time_point kFixedTime{std::chrono::milliseconds(1'700'000'000'123)};

std::string format_line(std::string_view format, std::string_view text,
                        spdlog::level::level_enum level = spdlog::level::info,
                        std::string_view logger = "shield-mcp") {
  auto formatter = make_log_formatter(format);
  EXPECT_TRUE(formatter.has_value());
  if (!formatter) return {};
  spdlog::details::log_msg msg(kFixedTime, spdlog::source_loc{},
                               spdlog::string_view_t(logger.data(), logger.size()), level,
                               spdlog::string_view_t(text.data(), text.size()));
  spdlog::memory_buf_t buffer;
  (*formatter)->format(msg, buffer);
  return {buffer.data(), buffer.size()};
}

TEST(JsonLogFormat, WritesOneObjectPerLineWithTheDocumentedFields) {
  const std::string line = format_line("json", "listening on 127.0.0.1:8765");
  EXPECT_EQ(line, R"({"ts":"2023-11-14T22:13:20.123Z","level":"info","logger":"shield-mcp",)"
                  R"("msg":"listening on 127.0.0.1:8765"})"
                  "\n");
}

TEST(JsonLogFormat, EscapesQuotesBackslashesNewlinesAndControlCharacters) {
  const std::string message = "say \"hi\"\nC:\\temp\tend\x01\x1f\r\b\f\x7f";
  const std::string line = format_line("json", message);
  EXPECT_NE(line.find(R"("msg":"say \"hi\"\nC:\\temp\tend\u0001\u001f\r\b\f\u007f")"),
            std::string::npos)
      << line;
  // Exactly one line: the newline inside the message must not split the record.
  EXPECT_EQ(line.find('\n'), line.size() - 1);
  const auto parsed = nlohmann::json::parse(line);
  EXPECT_EQ(parsed.at("msg").get<std::string>(), message);
}

TEST(JsonLogFormat, KeepsValidUtf8AndReplacesInvalidBytes) {
  // "é", a four-byte emoji, then a lone continuation byte, an overlong "/" (C0 AF),
  // an encoded surrogate (ED A0 80) and a truncated three-byte sequence.
  const std::string message = "caf\xc3\xa9 \xf0\x9f\x99\x82 \x80 \xc0\xaf \xed\xa0\x80 \xe2\x82";
  const std::string line = format_line("json", message);
  const auto parsed = nlohmann::json::parse(line);  // throws on invalid UTF-8
  const std::string replacement = "\xef\xbf\xbd";
  EXPECT_EQ(parsed.at("msg").get<std::string>(),
            "caf\xc3\xa9 \xf0\x9f\x99\x82 " + replacement + " " + replacement + replacement + " " +
                replacement + replacement + replacement + " " + replacement + replacement);
}

TEST(JsonLogFormat, NamesLevelsAsConfiguredAndEscapesTheLoggerName) {
  EXPECT_NE(format_line("json", "x", spdlog::level::warn).find(R"("level":"warn")"),
            std::string::npos);
  EXPECT_NE(format_line("json", "x", spdlog::level::err).find(R"("level":"error")"),
            std::string::npos);
  EXPECT_NE(format_line("json", "x", spdlog::level::trace).find(R"("level":"trace")"),
            std::string::npos);
  const auto parsed =
      nlohmann::json::parse(format_line("json", "x", spdlog::level::critical, "odd\"name"));
  EXPECT_EQ(parsed.at("logger"), "odd\"name");
  EXPECT_EQ(parsed.at("level"), "critical");
}

TEST(TextLogFormat, IsOneReadableLineInUtc) {
  const std::string line = format_line("text", "ready", spdlog::level::warn, "http");
  EXPECT_TRUE(
      std::regex_match(line, std::regex(R"(2023-11-14T22:13:20\.123Z warning +\[http\] ready\n)")))
      << line;
}

TEST(LogFormat, RejectsUnknownFormatNamingIt) {
  auto formatter = make_log_formatter("xml");
  ASSERT_FALSE(formatter.has_value());
  EXPECT_EQ(formatter.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(formatter.error().message.find("'xml'"), std::string::npos);
  EXPECT_NE(formatter.error().message.find("text, json"), std::string::npos);
}

TEST(SetupLogging, RejectsBadLevelOrFormatAndLeavesLoggingAlone) {
  ASSERT_TRUE(setup_logging("info", "text").has_value());
  const auto before = spdlog::default_logger();

  auto bad_level = setup_logging("verbose", "text");
  ASSERT_FALSE(bad_level.has_value());
  EXPECT_NE(bad_level.error().message.find("'verbose'"), std::string::npos);
  EXPECT_NE(bad_level.error().message.find("trace, debug, info, warn, error, critical, off"),
            std::string::npos);

  auto bad_format = setup_logging("info", "yaml");
  ASSERT_FALSE(bad_format.has_value());
  EXPECT_NE(bad_format.error().message.find("'yaml'"), std::string::npos);

  EXPECT_EQ(spdlog::default_logger(), before);
  EXPECT_EQ(spdlog::default_logger()->level(), spdlog::level::info);
}

// Points file descriptors 1 and 2 at temporary files for the lifetime of the object.
class CapturedStdio {
 public:
  CapturedStdio() {
    std::fflush(stdout);
    std::fflush(stderr);
    const auto dir = std::filesystem::temp_directory_path();
    const std::string stem = "shield-logging-test-" + std::to_string(::getpid());
    out_path_ = dir / (stem + ".out");
    err_path_ = dir / (stem + ".err");
    saved_out_ = ::dup(1);
    saved_err_ = ::dup(2);
    redirect(out_path_, 1);
    redirect(err_path_, 2);
  }
  ~CapturedStdio() {
    restore();
    std::filesystem::remove(out_path_);
    std::filesystem::remove(err_path_);
  }
  CapturedStdio(const CapturedStdio&) = delete;
  CapturedStdio& operator=(const CapturedStdio&) = delete;

  void restore() {
    if (saved_out_ < 0) return;
    std::fflush(stdout);
    std::fflush(stderr);
    ::dup2(saved_out_, 1);
    ::dup2(saved_err_, 2);
    ::close(saved_out_);
    ::close(saved_err_);
    saved_out_ = saved_err_ = -1;
  }
  [[nodiscard]] std::string out() const { return read(out_path_); }
  [[nodiscard]] std::string err() const { return read(err_path_); }

 private:
  static void redirect(const std::filesystem::path& path, int fd) {
    std::FILE* file = std::fopen(path.c_str(), "w");
    ASSERT_NE(file, nullptr);
    ::dup2(::fileno(file), fd);
    std::fclose(file);
  }
  static std::string read(const std::filesystem::path& path) {
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
  }
  std::filesystem::path out_path_;
  std::filesystem::path err_path_;
  int saved_out_ = -1;
  int saved_err_ = -1;
};

TEST(SetupLogging, WritesJsonToStderrAndNothingToStdout) {
  CapturedStdio captured;
  ASSERT_TRUE(setup_logging("debug", "json").has_value());
  spdlog::debug("to \"stderr\"");
  spdlog::trace("below the level");
  named_logger("transport")->info("from a named logger");
  spdlog::default_logger()->flush();
  captured.restore();

  EXPECT_EQ(captured.out(), "");
  std::istringstream lines(captured.err());
  std::string first;
  std::string second;
  std::string third;
  std::getline(lines, first);
  std::getline(lines, second);
  EXPECT_FALSE(std::getline(lines, third)) << captured.err();
  const auto a = nlohmann::json::parse(first);
  EXPECT_EQ(a.at("msg"), "to \"stderr\"");
  EXPECT_EQ(a.at("level"), "debug");
  EXPECT_EQ(a.at("logger"), "shield-mcp");
  const auto b = nlohmann::json::parse(second);
  EXPECT_EQ(b.at("logger"), "transport");
  EXPECT_EQ(b.at("msg"), "from a named logger");

  ASSERT_TRUE(setup_logging("info", "text").has_value());
}

TEST(SetLogLevel, ChangesEveryLoggerAndRejectsUnknownLevels) {
  ASSERT_TRUE(setup_logging("info", "text").has_value());
  auto http = named_logger("http-level-test");
  EXPECT_EQ(http->level(), spdlog::level::info);

  ASSERT_TRUE(set_log_level("error").has_value());
  EXPECT_EQ(http->level(), spdlog::level::err);
  EXPECT_EQ(spdlog::default_logger()->level(), spdlog::level::err);

  auto bad = set_log_level("loud");
  ASSERT_FALSE(bad.has_value());
  EXPECT_NE(bad.error().message.find("'loud'"), std::string::npos);
  EXPECT_EQ(http->level(), spdlog::level::err);

  // A second set-up re-targets loggers handed out earlier.
  ASSERT_TRUE(setup_logging("warn", "json").has_value());
  EXPECT_EQ(http->level(), spdlog::level::warn);
  EXPECT_EQ(http->sinks().front(), spdlog::default_logger()->sinks().front());
  ASSERT_TRUE(setup_logging("info", "text").has_value());
}

TEST(NamedLogger, ReturnsTheSameLoggerForTheSameName) {
  ASSERT_TRUE(setup_logging("info", "text").has_value());
  EXPECT_EQ(named_logger("same-name"), named_logger("same-name"));
  EXPECT_NE(named_logger("same-name"), named_logger("other-name"));
}

}  // namespace
}  // namespace shield

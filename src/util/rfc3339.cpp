#include "shield/util/rfc3339.hpp"

#include <ctime>

#include <fmt/format.h>

namespace shield {
namespace {

bool digits(std::string_view text, std::size_t at, std::size_t count, int& value) {
  if (at + count > text.size()) return false;
  value = 0;
  for (std::size_t i = at; i < at + count; ++i) {
    if (text[i] < '0' || text[i] > '9') return false;
    value = value * 10 + (text[i] - '0');
  }
  return true;
}

int days_in_month(int year, int month) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  return month == 2 && leap ? 29 : kDays[month - 1];
}

}  // namespace

std::string format_rfc3339_utc(std::int64_t unix_millis) {
  std::int64_t seconds = unix_millis / 1000;
  std::int64_t millis = unix_millis % 1000;
  if (millis < 0) {
    millis += 1000;
    seconds -= 1;
  }
  const auto t = static_cast<std::time_t>(seconds);
  std::tm utc{};
  gmtime_r(&t, &utc);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", utc.tm_year + 1900,
                     utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec, millis);
}

bool is_rfc3339(std::string_view text) {
  int year = 0;
  int month = 0;
  int day = 0;
  int hour = 0;
  int minute = 0;
  int second = 0;
  if (!digits(text, 0, 4, year) || text.size() < 20 || text[4] != '-' ||
      !digits(text, 5, 2, month) || text[7] != '-' || !digits(text, 8, 2, day)) {
    return false;
  }
  if (text[10] != 'T' && text[10] != 't' && text[10] != ' ') return false;
  if (!digits(text, 11, 2, hour) || text[13] != ':' || !digits(text, 14, 2, minute) ||
      text[16] != ':' || !digits(text, 17, 2, second)) {
    return false;
  }
  if (month < 1 || month > 12 || day < 1 || day > days_in_month(year, month) || hour > 23 ||
      minute > 59 || second > 59) {
    return false;
  }
  std::size_t i = 19;
  if (text[i] == '.') {
    ++i;
    const std::size_t start = i;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') ++i;
    if (i == start) return false;
  }
  if (i < text.size() && (text[i] == 'Z' || text[i] == 'z')) return i + 1 == text.size();
  int offset_hours = 0;
  int offset_minutes = 0;
  if (i + 6 != text.size() || (text[i] != '+' && text[i] != '-')) return false;
  return digits(text, i + 1, 2, offset_hours) && text[i + 3] == ':' &&
         digits(text, i + 4, 2, offset_minutes) && offset_hours <= 23 && offset_minutes <= 59;
}

}  // namespace shield

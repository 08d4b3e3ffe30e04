#pragma once
// RFC 3339 date-times, the one textual time format on our wire (job timestamps, document
// metadata, sink records).
#include <cstdint>
#include <string>
#include <string_view>

namespace shield {

// UTC with milliseconds, "2025-06-01T10:15:00.123Z". Instants before 1970 round down, so
// they still print a valid time.
[[nodiscard]] std::string format_rfc3339_utc(std::int64_t unix_millis);

// Whether `text` is an RFC 3339 date-time with a valid calendar date and time of day. A leap
// second (:60) is refused: validators accept it only at 23:59:60 UTC, which an offset hides.
[[nodiscard]] bool is_rfc3339(std::string_view text);

}  // namespace shield

#pragma once
// Internal to the jobs module: a prepared SQLite statement that owns its handle, binds by
// 1-based index and resets itself after every use, so a statement prepared once at open
// can be run again and again.
//
// Threading: as the connection (one thread at a time). Errors: step() returns the SQLite
// result code; the caller turns it into a message with sqlite3_errmsg.
#include <sqlite3.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace shield::jobs::detail {

class SqliteStatement {
 public:
  SqliteStatement() = default;
  // SQLITE_OK or the prepare error.
  int prepare(sqlite3* db, std::string_view sql);
  ~SqliteStatement();
  SqliteStatement(const SqliteStatement&) = delete;
  SqliteStatement& operator=(const SqliteStatement&) = delete;

  void bind(int index, std::string_view text);
  void bind(int index, std::int64_t value);
  void bind(int index, const std::optional<std::int64_t>& value);  // nullopt binds NULL
  void bind(int index, const std::optional<std::string>& value);
  void bind_null(int index);

  // SQLITE_ROW, SQLITE_DONE or an error. After SQLITE_DONE or an error the statement is
  // reset and its bindings cleared.
  int step();
  void reset();

  [[nodiscard]] std::string text(int column) const;
  [[nodiscard]] std::int64_t integer(int column) const;
  [[nodiscard]] std::optional<std::int64_t> optional_integer(int column) const;
  [[nodiscard]] std::optional<std::string> optional_text(int column) const;

 private:
  sqlite3_stmt* stmt_ = nullptr;
};

}  // namespace shield::jobs::detail

#pragma once
// A thin RAII layer over libpq: a connection with a cache of prepared statements, and
// the rows a statement returned, read as text. Parameters travel as text too (libpq's
// text format), so every value is what PostgreSQL would print. Failures throw PgError,
// which the store catches at the transaction boundary.

#include <libpq-fe.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace henge::store::pg {

class PgError final : public std::runtime_error {
 public:
  PgError(std::string sqlstate, const std::string& what, bool connection_lost)
      : std::runtime_error(what), sqlstate_(std::move(sqlstate)), connection_lost_(connection_lost) {}
  /// The five-character SQLSTATE, or empty when the server sent none.
  [[nodiscard]] const std::string& sqlstate() const noexcept { return sqlstate_; }
  /// True when the connection is gone (the server is down or unreachable).
  [[nodiscard]] bool connection_lost() const noexcept { return connection_lost_; }
  /// True for failures worth answering 503: the database is unreachable, shutting
  /// down, out of resources, or the transaction lost a serialization race.
  [[nodiscard]] bool transient() const noexcept;

 private:
  std::string sqlstate_;
  bool connection_lost_;
};

/// The rows of one statement. Columns are read as text or integers.
class Rows final {
 public:
  explicit Rows(PGresult* r) : r_(r, &PQclear) {}
  [[nodiscard]] int size() const { return PQntuples(r_.get()); }
  [[nodiscard]] bool empty() const { return size() == 0; }
  [[nodiscard]] std::string text(int row, int col) const;
  [[nodiscard]] std::int64_t i64(int row, int col) const;

 private:
  std::unique_ptr<PGresult, decltype(&PQclear)> r_;
};

/// One row of Rows, read by column (store/sql_rows.hpp's readers take it).
struct Row {
  const Rows& rows;
  int row;
  [[nodiscard]] std::string text(int col) const { return rows.text(row, col); }
  [[nodiscard]] std::int64_t i64(int col) const { return rows.i64(row, col); }
  /// A boolean column, which PostgreSQL sends as text "t" or "f".
  [[nodiscard]] bool flag(int col) const { return rows.text(row, col) == "t"; }
};

/// A statement parameter as text; nullopt is SQL NULL.
using Param = std::optional<std::string>;

inline Param param(std::string_view v) {
  return std::string(v);
}
inline Param param(const std::string& v) {
  return v;
}
inline Param param(const char* v) {
  return std::string(v);
}
inline Param param(std::int64_t v) {
  return std::to_string(v);
}
inline Param param(std::uint64_t v) {
  return std::to_string(v);
}
inline Param param(int v) {
  return std::to_string(v);
}
inline Param param(bool v) {
  return std::string(v ? "true" : "false");
}

class Conn final {
 public:
  /// Connects to `url` (a postgres:// URL or key=value string). Throws PgError.
  explicit Conn(const std::string& url);
  Conn(const Conn&) = delete;
  Conn& operator=(const Conn&) = delete;

  /// Runs one or more statements with no parameters.
  void exec(const char* sql);
  /// Runs `sql` with `params`, prepared once per connection. `sql` must outlive the
  /// connection (a literal, or a static string): its address is the cache key.
  Rows query(const char* sql, const std::vector<Param>& params);
  template <class... Args>
  Rows run(const char* sql, const Args&... args) {
    return query(sql, std::vector<Param>{param(args)...});
  }

  /// True while the connection is usable.
  [[nodiscard]] bool ok() const { return PQstatus(c_.get()) == CONNECTION_OK; }
  /// True inside a transaction block (or a failed one).
  [[nodiscard]] bool in_transaction() const;
  [[nodiscard]] PGconn* handle() const { return c_.get(); }

  /// Throws the PgError for `r` unless it holds a success status.
  void check(PGresult* r, std::string_view what);

 private:
  std::unique_ptr<PGconn, decltype(&PQfinish)> c_;
  std::unordered_map<const char*, std::string> prepared_;  ///< sql literal → statement name
};

}  // namespace henge::store::pg

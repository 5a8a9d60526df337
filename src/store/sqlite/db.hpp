#pragma once
// A thin RAII layer over the SQLite C API: a connection with a cache of prepared
// statements, and a statement with typed binds and columns. Failures throw
// SqliteError, which the store catches at the transaction boundary.

#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>

namespace henge::store::sqlite {

class SqliteError final : public std::runtime_error {
 public:
  SqliteError(int code, const std::string& what) : std::runtime_error(what), code_(code) {}
  [[nodiscard]] int code() const noexcept { return code_; }

 private:
  int code_;
};

class Stmt final {
 public:
  explicit Stmt(sqlite3_stmt* s) : s_(s) {}
  ~Stmt() {
    sqlite3_reset(s_);
    sqlite3_clear_bindings(s_);
  }
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;

  Stmt& bind(int i, std::string_view v);
  Stmt& bind(int i, std::int64_t v);
  Stmt& bind(int i, std::uint64_t v) { return bind(i, static_cast<std::int64_t>(v)); }
  Stmt& bind(int i, int v) { return bind(i, static_cast<std::int64_t>(v)); }

  template <class... Args>
  Stmt& bind_all(const Args&... args) {
    int i = 0;
    (bind(++i, args), ...);
    return *this;
  }

  /// Advances to the next row; false when done.
  bool step();
  /// Runs a statement that returns no rows.
  void run() {
    while (step()) {
    }
  }

  [[nodiscard]] std::string text(int col) const;
  [[nodiscard]] std::int64_t i64(int col) const { return sqlite3_column_int64(s_, col); }
  /// A boolean column: SQLite stores them as integers.
  [[nodiscard]] bool flag(int col) const { return i64(col) != 0; }

 private:
  sqlite3_stmt* s_;
};

class Db final {
 public:
  explicit Db(const std::string& path);
  ~Db();
  Db(const Db&) = delete;
  Db& operator=(const Db&) = delete;

  /// Runs one or more statements with no parameters.
  void exec(const char* sql);
  /// A prepared statement for `sql`, prepared once per connection. `sql` must outlive the
  /// connection (a literal, or a static string): its address is the cache key.
  Stmt prepare(const char* sql);
  [[nodiscard]] sqlite3* handle() const { return db_; }

  [[noreturn]] void fail(int rc, std::string_view what) const;

 private:
  sqlite3* db_ = nullptr;
  std::unordered_map<const char*, sqlite3_stmt*> cache_;
};

}  // namespace henge::store::sqlite

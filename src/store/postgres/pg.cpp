#include "store/postgres/pg.hpp"

#include <charconv>

namespace henge::store::pg {

bool PgError::transient() const noexcept {
  if (connection_lost_ || sqlstate_.empty()) return true;
  // 08: connection exception; 53: insufficient resources; 57P0x: shutting down or
  // starting up; 40001/40P01: serialization failure and deadlock (retry will do).
  return sqlstate_.starts_with("08") || sqlstate_.starts_with("53") || sqlstate_.starts_with("57P") ||
         sqlstate_ == "40001" || sqlstate_ == "40P01";
}

std::string Rows::text(int row, int col) const {
  const char* v = PQgetvalue(r_.get(), row, col);
  return {v, static_cast<std::size_t>(PQgetlength(r_.get(), row, col))};
}

std::int64_t Rows::i64(int row, int col) const {
  const char* v = PQgetvalue(r_.get(), row, col);
  const char* end = v + PQgetlength(r_.get(), row, col);
  std::int64_t out = 0;
  auto [p, ec] = std::from_chars(v, end, out);
  if (ec != std::errc{} || p != end) throw PgError("22P02", "not an integer in column " + std::to_string(col), false);
  return out;
}

namespace {
// Defaults the URL can override: a bounded connect, keepalives that notice a dead
// server within a minute, and a name in pg_stat_activity.
constexpr const char* kKeywords[] = {"connect_timeout",
                                     "keepalives_idle",
                                     "keepalives_interval",
                                     "keepalives_count",
                                     "application_name",
                                     "dbname",
                                     nullptr};
}  // namespace

Conn::Conn(const std::string& url) : c_(nullptr, &PQfinish) {
  const char* values[] = {"5", "15", "5", "3", "henged", url.c_str(), nullptr};
  c_.reset(PQconnectdbParams(kKeywords, values, /*expand_dbname=*/1));
  if (c_ == nullptr) throw PgError("", "cannot allocate a PostgreSQL connection", true);
  if (PQstatus(c_.get()) != CONNECTION_OK) {
    std::string msg = PQerrorMessage(c_.get());
    while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
    throw PgError("", "cannot connect to PostgreSQL: " + msg, true);
  }
  // Notices (such as "relation already exists, skipping") are not errors; keep them
  // off stderr.
  PQsetNoticeProcessor(
      c_.get(), [](void*, const char*) {}, nullptr);
}

bool Conn::in_transaction() const {
  const auto s = PQtransactionStatus(c_.get());
  return s == PQTRANS_INTRANS || s == PQTRANS_INERROR || s == PQTRANS_ACTIVE;
}

void Conn::check(PGresult* r, std::string_view what) {
  const auto st = r != nullptr ? PQresultStatus(r) : PGRES_FATAL_ERROR;
  if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) return;
  std::string sqlstate;
  std::string msg(what);
  msg += ": ";
  if (r != nullptr) {
    if (const char* s = PQresultErrorField(r, PG_DIAG_SQLSTATE)) sqlstate = s;
    msg += PQresultErrorMessage(r);
    PQclear(r);
  } else {
    msg += PQerrorMessage(c_.get());
  }
  while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
  throw PgError(std::move(sqlstate), msg, !ok());
}

void Conn::exec(const char* sql) {
  PGresult* r = PQexec(c_.get(), sql);
  check(r, "exec");
  PQclear(r);
}

Rows Conn::query(const char* sql, const std::vector<Param>& params) {
  auto it = prepared_.find(sql);
  if (it == prepared_.end()) {
    std::string name = "s" + std::to_string(prepared_.size());
    PGresult* r = PQprepare(c_.get(), name.c_str(), sql, static_cast<int>(params.size()), nullptr);
    check(r, "prepare");
    PQclear(r);
    it = prepared_.emplace(sql, std::move(name)).first;
  }
  std::vector<const char*> values;
  values.reserve(params.size());
  for (const auto& p : params) values.push_back(p ? p->c_str() : nullptr);
  PGresult* r =
      PQexecPrepared(c_.get(), it->second.c_str(), static_cast<int>(values.size()), values.data(), nullptr, nullptr, 0);
  check(r, "query");
  return Rows(r);
}

}  // namespace henge::store::pg

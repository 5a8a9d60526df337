#include "store/postgres/postgres_store.hpp"

#include <atomic>
#include <mutex>
#include <vector>

#include "store/change_event.hpp"
#include "store/idle_pool.hpp"
#include "store/postgres/change_feed.hpp"
#include "store/postgres/migrations.hpp"
#include "store/postgres/pg.hpp"
#include "store/postgres/postgres_tx.hpp"
#include "store/postgres/quarantine.hpp"

namespace henge::store {
namespace {

using namespace henge::core;
using pg::Conn;
using pg::PgError;
using postgres::PgTx;

// Any 64-bit number the rest of a database's users leave alone: "henge" in ASCII.
constexpr std::int64_t kMigrationLock = 0x68656e6765;

Error storage_error(const PgError& e) {
  if (e.transient()) return make_error(Errc::unavailable, std::string("storage unavailable: ") + e.what());
  return make_error(Errc::internal, std::string("storage error: ") + e.what());
}

void rollback(Conn& c) {
  if (c.ok() && c.in_transaction()) {
    try {
      c.exec("ROLLBACK");
    } catch (const PgError&) {
      // The connection is discarded by the pool when it is broken.
    }
  }
}

class PostgresStore final : public Store {
 public:
  explicit PostgresStore(PostgresOptions opt) : opt_(std::move(opt)) {}

  ~PostgresStore() override {
    feed_.reset();
    // Leave the replica table at once, so this replica's streams stop counting as
    // connected now rather than when the lease runs out.
    try {
      auto c = acquire();
      c->run("DELETE FROM replicas WHERE id = $1", opt_.replica);
    } catch (const PgError&) {
      // The lease expires on its own.
    }
  }

  Status read(const std::function<Status(ReadTx&)>& fn) override {
    return with_transaction("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", [&](Conn& c) -> Status {
      PgTx tx(c, opt_.replica);
      auto status = fn(tx);
      c.exec("COMMIT");
      return status;
    });
  }

  Status write(const std::function<Status(WriteTx&)>& fn) override {
    ChangeEvent event;
    auto status = with_transaction("BEGIN", [&](Conn& c) -> Status {
      // One writer at a time across every replica: the same isolation the store
      // contract gives on SQLite, and revisions commit in the order they are taken.
      c.run("SELECT value FROM meta WHERE key = 'revision' FOR UPDATE");
      PgTx tx(c, opt_.replica);
      auto s = fn(tx);
      if (!s) {
        c.exec("ROLLBACK");
        return s;
      }
      tx.flush();
      if (tx.taken() != 0 && !tx.changed.empty()) c.run("SELECT pg_notify('henge_changes', $1)", tx.taken());
      if (tx.taken() != 0 && feed_) feed_->committing(tx.taken());
      try {
        c.exec("COMMIT");
      } catch (const PgError&) {
        if (feed_) feed_->abandoned(tx.taken());
        throw;
      }
      if (tx.taken() != 0) event = make_change_event(tx.taken(), std::move(tx.changed));
      return {};
    });
    if (status && event.revision != 0 && feed_) {
      // Like the one-node stores, return once the change is handed on (the feed
      // delivers it from memory unless another replica's commits come first). Bounded:
      // when the database goes away right after the commit, the feed delivers on its
      // return and the write has succeeded regardless.
      const auto revision = event.revision;
      feed_->committed(std::move(event));
      feed_->wait_delivered(revision, kDeliveryWait);
    }
    return status;
  }

  void set_change_listener(std::function<void(ChangeEvent)> listener) override {
    std::lock_guard lock(listener_mu_);
    listener_ = std::move(listener);
  }

  void set_connections_lost_listener(std::function<void()> listener) override {
    std::lock_guard lock(listener_mu_);
    connections_lost_ = std::move(listener);
  }

  void open() {
    auto c = acquire();
    migrate(*c);
    c->run("INSERT INTO replicas (id, started_at, expires_at) VALUES ($1, " HENGE_PG_NOW_MS ", " HENGE_PG_NOW_MS
           " + $2::bigint) ON CONFLICT (id) DO UPDATE SET expires_at = EXCLUDED.expires_at",
           opt_.replica, static_cast<std::int64_t>(opt_.lease.count()));
    release(std::move(c));
    feed_ = std::make_unique<postgres::ChangeFeed>(
        postgres::FeedOptions{opt_.url, opt_.replica, opt_.lease},
        // Called under the lock, so that once a listener is replaced (or cleared)
        // the old one is never called again and its owner may go away.
        [this](const ChangeEvent& e) {
          std::lock_guard lock(listener_mu_);
          if (listener_) listener_(e);
        },
        [this] {
          std::lock_guard lock(listener_mu_);
          if (connections_lost_) connections_lost_();
        });
  }

 private:
  // Runs `body` in a transaction opened with `begin` on a pooled connection. A pooled
  // connection can have died while idle (the database restarted): when `begin` finds
  // it gone, a fresh connection takes its place, so a recovered database answers at
  // once. Nothing is retried once `begin` has succeeded: a COMMIT cut off may have
  // committed, and the caller must hear 503, not have the write run twice.
  Status with_transaction(const char* begin, const std::function<Status(Conn&)>& body) {
    std::unique_ptr<Conn> c;
    try {
      bool fresh = false;
      c = acquire(&fresh);
      try {
        c->exec(begin);
      } catch (const PgError& e) {
        if (fresh || !e.connection_lost()) throw;
        c = acquire_fresh();
        c->exec(begin);
      }
    } catch (const PgError& e) {
      return storage_error(e);
    }
    try {
      auto status = body(*c);
      release(std::move(c));
      return status;
    } catch (const PgError& e) {
      rollback(*c);
      release(std::move(c));
      return storage_error(e);
    } catch (const std::exception& e) {
      rollback(*c);
      release(std::move(c));
      return make_error(Errc::internal, e.what());
    }
  }

  std::unique_ptr<Conn> acquire_fresh() { return std::make_unique<Conn>(opt_.url); }

  std::unique_ptr<Conn> acquire(bool* fresh = nullptr) {
    if (auto c = idle_.take()) {
      if (fresh != nullptr) *fresh = false;
      return c;
    }
    if (fresh != nullptr) *fresh = true;
    return acquire_fresh();
  }

  void release(std::unique_ptr<Conn> c) {
    if (!c->ok() || c->in_transaction()) return;  // broken or mid-transaction: closed
    idle_.give(std::move(c));
  }

  static void migrate(Conn& c) {
    c.run("SELECT pg_advisory_lock($1::bigint)", kMigrationLock);
    try {
      c.exec("CREATE TABLE IF NOT EXISTS henge_schema (version INTEGER NOT NULL)");
      auto v = c.run("SELECT version FROM henge_schema");
      if (v.empty()) {
        c.exec("INSERT INTO henge_schema (version) VALUES (0)");
        v = c.run("SELECT version FROM henge_schema");
      }
      const auto version = static_cast<std::size_t>(v.i64(0, 0));
      if (version > postgres::kMigrations.size()) {
        throw PgError("HG001",
                      "the database was written by a newer henge (schema version " + std::to_string(version) + ")",
                      false);
      }
      for (auto i = version; i < postgres::kMigrations.size(); ++i) {
        c.exec("BEGIN");
        c.exec(postgres::kMigrations[i]);
        if (i + 1 == postgres::kQuarantineVersion) {
          postgres::quarantine_unreadable(c, std::chrono::duration_cast<std::chrono::milliseconds>(
                                                 std::chrono::system_clock::now().time_since_epoch())
                                                 .count());
        }
        c.run("UPDATE henge_schema SET version = $1", static_cast<std::int64_t>(i + 1));
        c.exec("COMMIT");
      }
    } catch (const PgError&) {
      rollback(c);
      c.run("SELECT pg_advisory_unlock($1::bigint)", kMigrationLock);
      throw;
    }
    c.run("SELECT pg_advisory_unlock($1::bigint)", kMigrationLock);
  }

  static constexpr std::size_t kMaxIdle = 16;
  static constexpr std::chrono::milliseconds kDeliveryWait{2000};
  PostgresOptions opt_;
  IdlePool<Conn> idle_{kMaxIdle};
  std::mutex listener_mu_;
  std::function<void(ChangeEvent)> listener_;
  std::function<void()> connections_lost_;
  std::unique_ptr<postgres::ChangeFeed> feed_;
};

}  // namespace

Result<std::unique_ptr<Store>> open_postgres_store(const PostgresOptions& options) {
  try {
    auto store = std::make_unique<PostgresStore>(options);
    store->open();
    return std::unique_ptr<Store>(std::move(store));
  } catch (const PgError& e) {
    if (e.sqlstate() == "HG001") return make_error(Errc::conflict, e.what());
    return make_error(Errc::unavailable, std::string("cannot open the PostgreSQL store: ") + e.what());
  }
}

}  // namespace henge::store

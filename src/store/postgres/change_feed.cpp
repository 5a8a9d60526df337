#include "store/postgres/change_feed.hpp"

#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <cerrno>
#include <condition_variable>

#include "log/log.hpp"
#include "store/change_event.hpp"
#include "store/postgres/pg.hpp"
#include "store/postgres/postgres_tx.hpp"
#include "store/stored_json.hpp"

namespace henge::store::postgres {

using Clock = std::chrono::steady_clock;

struct ChangeFeed::State {
  std::mutex mu;
  std::condition_variable delivered_cv;
  std::map<Revision, ChangeEvent> local;             ///< committed here, not delivered yet
  std::map<Revision, Clock::time_point> committing;  ///< being committed here, since
  Revision delivered = 0;
  bool stopping = false;
  int wake_fd = -1;  ///< an eventfd: committed() and the destructor wake the thread

  void wake() const {
    const std::uint64_t one = 1;
    // A full counter still wakes the reader; nothing to handle.
    [[maybe_unused]] auto n = ::write(wake_fd, &one, sizeof one);
  }
};

namespace {

constexpr auto kMaxBackoff = std::chrono::milliseconds(5000);
// How long a commit in flight here may hold back reading the database for it.
constexpr auto kCommitHold = std::chrono::milliseconds(1000);

// Renews this replica's lease; false when its row was gone (and is now back).
bool renew_lease(pg::Conn& c, const std::string& replica, std::chrono::milliseconds lease) {
  const auto ms = static_cast<std::int64_t>(lease.count());
  auto renewed = c.run("UPDATE replicas SET expires_at = " HENGE_PG_NOW_MS " + $2::bigint WHERE id = $1 RETURNING id",
                       replica, ms);
  if (renewed.empty()) {
    c.run("INSERT INTO replicas (id, started_at, expires_at) VALUES ($1, " HENGE_PG_NOW_MS ", " HENGE_PG_NOW_MS
          " + $2::bigint) ON CONFLICT (id) DO UPDATE SET expires_at = EXCLUDED.expires_at",
          replica, ms);
  }
  // Sweep replicas whose lease ran out, and the connections they held, in one
  // statement: a replica that renews meanwhile keeps its devices.
  c.run("WITH gone AS (DELETE FROM replicas WHERE expires_at < " HENGE_PG_NOW_MS
        " RETURNING id) UPDATE devices SET connected_replica = '' WHERE connected_replica IN (SELECT id FROM gone)");
  return !renewed.empty();
}

// Reads, in one snapshot, every desired row moved after `cursor` and the counter;
// returns the events in revision order and moves `cursor` to the counter.
std::vector<ChangeEvent> read_changes(pg::Conn& c, Revision& cursor) {
  c.exec("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
  auto head = c.run("SELECT value FROM meta WHERE key = 'revision'");
  const auto upto = head.empty() ? cursor : static_cast<Revision>(head.i64(0, 0));
  std::vector<ChangeEvent> out;
  if (upto > cursor) {
    auto rows = c.run(
        "SELECT id, desired_revision, desired_config, desired_sha256, desired_schema FROM devices "
        "WHERE desired_revision > $1::bigint AND desired_revision <= $2::bigint ORDER BY desired_revision, id",
        cursor, upto);
    std::vector<DesiredChange> batch;
    Revision batch_rev = 0;
    for (int i = 0; i < rows.size(); ++i) {
      const auto rev = static_cast<Revision>(rows.i64(i, 1));
      if (rev != batch_rev && !batch.empty()) {
        out.push_back(make_change_event(batch_rev, std::move(batch)));
        batch.clear();
      }
      batch_rev = rev;
      core::Desired d;
      d.revision = rev;
      d.config = parse_stored(rows.text(i, 2));
      d.sha256 = rows.text(i, 3);
      d.schema = rows.text(i, 4);
      batch.push_back({rows.text(i, 0), std::move(d)});
    }
    if (!batch.empty()) out.push_back(make_change_event(batch_rev, std::move(batch)));
  }
  c.exec("COMMIT");
  cursor = std::max(cursor, upto);
  return out;
}

}  // namespace

ChangeFeed::ChangeFeed(FeedOptions options, std::function<void(const ChangeEvent&)> deliver,
                       std::function<void()> on_connections_lost)
    : opt_(std::move(options)),
      deliver_(std::move(deliver)),
      on_connections_lost_(std::move(on_connections_lost)),
      st_(std::make_unique<State>()) {
  // Listen first, then read the cursor: a commit in between is both notified and
  // after the cursor, so nothing falls between the two.
  first_conn_ = std::make_unique<pg::Conn>(opt_.url);
  first_conn_->exec("LISTEN henge_changes");
  auto head = first_conn_->run("SELECT value FROM meta WHERE key = 'revision'");
  first_cursor_ = head.empty() ? 0 : static_cast<Revision>(head.i64(0, 0));
  st_->wake_fd = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (st_->wake_fd < 0) throw pg::PgError("58000", "eventfd failed", false);
  st_->delivered = first_cursor_;
  thread_ = std::thread([this] { run(); });
}

ChangeFeed::~ChangeFeed() {
  {
    std::lock_guard lock(st_->mu);
    st_->stopping = true;
  }
  st_->wake();
  thread_.join();
  ::close(st_->wake_fd);
}

void ChangeFeed::committing(Revision revision) {
  std::lock_guard lock(st_->mu);
  st_->committing.emplace(revision, Clock::now());
}

void ChangeFeed::committed(ChangeEvent event) {
  {
    std::lock_guard lock(st_->mu);
    const auto rev = event.revision;
    st_->committing.erase(rev);
    if (rev > st_->delivered) st_->local.emplace(rev, std::move(event));  // else read from the database already
  }
  st_->wake();
}

void ChangeFeed::abandoned(Revision revision) {
  {
    std::lock_guard lock(st_->mu);
    st_->committing.erase(revision);
  }
  st_->wake();
}

bool ChangeFeed::wait_delivered(Revision revision, std::chrono::milliseconds timeout) {
  std::unique_lock lock(st_->mu);
  return st_->delivered_cv.wait_for(lock, timeout, [&] { return st_->delivered >= revision; });
}

void ChangeFeed::run() {
  std::unique_ptr<pg::Conn> conn = std::move(first_conn_);
  Revision cursor = first_cursor_;
  Revision notified = 0;
  bool owed = false;  // a read is owed: the listener was away, or the last read failed
  bool held = false;  // the last pass waited for a commit in flight here
  bool outage_logged = false;
  auto backoff = std::chrono::milliseconds(100);
  auto next_connect = Clock::now();
  auto next_renew = Clock::now() + opt_.lease / 3;
  const auto lost = [&](const std::exception& e) {
    conn.reset();
    next_connect = Clock::now() + backoff;
    backoff = std::min(backoff * 2, kMaxBackoff);
    if (!outage_logged) log::warn("change feed lost the database; retrying", {{"error", e.what()}});
    outage_logged = true;
  };
  const auto take_notifications = [&] {
    while (PGnotify* n = PQnotifies(conn->handle())) {
      notified = std::max<Revision>(notified, std::strtoull(n->extra, nullptr, 10));
      PQfreemem(n);
    }
  };
  const auto deliver = [&](const ChangeEvent& e) {
    if (e.changes.empty()) return;
    try {
      deliver_(e);
    } catch (const std::exception& ex) {
      log::error("delivering a change failed", {{"revision", e.revision}, {"error", ex.what()}});
    }
  };

  for (;;) {
    {
      std::lock_guard lock(st_->mu);
      if (st_->stopping) return;
    }
    auto now = Clock::now();
    if (!conn && now >= next_connect) {
      try {
        conn = std::make_unique<pg::Conn>(opt_.url);
        conn->exec("LISTEN henge_changes");
        owed = true;  // what was committed while we were not listening
        backoff = std::chrono::milliseconds(100);
        if (outage_logged) log::info("change feed reconnected");
        outage_logged = false;
        next_renew = now;
      } catch (const pg::PgError& e) {
        lost(e);
      }
    }
    if (conn && now >= next_renew) {
      try {
        if (!renew_lease(*conn, opt_.replica, opt_.lease) && on_connections_lost_) {
          log::warn("this replica's lease had lapsed; recording its device connections again");
          on_connections_lost_();
        }
        next_renew = now + opt_.lease / 3;
      } catch (const pg::PgError& e) {
        lost(e);
      }
    }

    // libpq keeps a notification that arrived during one of this connection's own
    // queries (the lease's, a read's) in its queue, off the socket: take those before
    // waiting on the socket, or one would wait there unseen until the next arrived.
    if (conn) take_notifications();

    // Wait for a local commit, a notification, or the next timer.
    const auto until = conn ? next_renew : next_connect;
    const auto wait_ms =
        std::max<long long>(0, std::chrono::duration_cast<std::chrono::milliseconds>(until - Clock::now()).count() + 1);
    const bool read_now = conn && !held && (owed || notified > cursor);
    pollfd fds[2] = {{st_->wake_fd, POLLIN, 0}, {conn ? PQsocket(conn->handle()) : -1, POLLIN, 0}};
    const int ready = ::poll(fds, conn ? 2 : 1, read_now ? 0 : static_cast<int>(wait_ms));
    if (ready < 0 && errno != EINTR) log::error("change feed poll failed", {{"errno", errno}});
    if ((fds[0].revents & POLLIN) != 0) {
      std::uint64_t n = 0;
      [[maybe_unused]] auto r = ::read(st_->wake_fd, &n, sizeof n);
    }
    if (conn && (fds[1].revents & (POLLIN | POLLERR | POLLHUP)) != 0) {
      if (PQconsumeInput(conn->handle()) == 0) {
        lost(pg::PgError("", std::string("listener: ") + PQerrorMessage(conn->handle()), true));
      } else {
        take_notifications();
      }
    }

    // Deliver what this replica committed while it is the next revision; a gap means
    // another replica's commits come first, so read them from the database.
    std::map<Revision, ChangeEvent> local;
    Revision held_from = 0;  // the oldest revision still being committed here, if any
    {
      std::lock_guard lock(st_->mu);
      local.swap(st_->local);
      const auto stale = Clock::now() - kCommitHold;
      for (auto it = st_->committing.begin(); it != st_->committing.end();) {
        if (it->second < stale) {
          it = st_->committing.erase(it);  // never resolved: stop waiting for it
        } else {
          if (held_from == 0) held_from = it->first;
          ++it;
        }
      }
    }
    for (auto it = local.begin(); it != local.end();) {
      if (it->first <= cursor) {
        it = local.erase(it);
      } else if (it->first == cursor + 1) {
        deliver(it->second);
        cursor = it->first;
        it = local.erase(it);
      } else {
        break;
      }
    }
    const bool need_read = owed || !local.empty() || notified > cursor;
    // What is about to be handed over from memory is not worth a read: wait for it
    // (committed() and abandoned() wake this thread).
    const Revision wanted = std::max(notified, local.empty() ? Revision{0} : local.rbegin()->first);
    held = held_from != 0 && held_from <= wanted;
    if (need_read && conn && !held) {
      try {
        for (const auto& e : read_changes(*conn, cursor)) deliver(e);
        owed = false;
      } catch (const pg::PgError& e) {
        lost(e);
      }
    }
    {
      std::lock_guard lock(st_->mu);
      for (auto& [rev, e] : local) {
        if (rev > cursor) st_->local.emplace(rev, std::move(e));
      }
      st_->delivered = cursor;
    }
    st_->delivered_cv.notify_all();
  }
}

}  // namespace henge::store::postgres

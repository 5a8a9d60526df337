#pragma once
// The PostgreSQL store's background thread: delivers committed changes in revision
// order, whichever replica committed them, and keeps this replica's lease.
//
// Every commit that moved a device's desired config sends NOTIFY henge_changes with
// its revision. The feed LISTENs on a connection of its own; a notification (or a
// local commit that is not the next revision) makes it read, in one snapshot, the
// counter and the device rows whose desired revision lies after its cursor, and
// deliver them grouped by revision. The notification only says "look": a lost or
// merged one loses nothing, and after the listener reconnects it catches up the same
// way. A local commit that is the next revision is delivered from memory, with no read.
//
// The lease: the replica's row in `replicas` is renewed every lease/3. A device's
// stream counts as connected only while the replica holding it is live, so a replica
// killed with its streams open stops counting within one lease. When a renewal finds
// the row gone (the database was out of reach longer than a lease and another replica
// swept it), `on_connections_lost` asks the owner to record its streams again.

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "store/store.hpp"

namespace henge::store::pg {
class Conn;
}

namespace henge::store::postgres {

struct FeedOptions {
  std::string url;
  std::string replica;
  std::chrono::milliseconds lease{15000};
};

class ChangeFeed final {
 public:
  /// Starts listening on a connection of its own and reads the current revision as
  /// its cursor (later commits are delivered). Throws pg::PgError.
  ChangeFeed(FeedOptions options, std::function<void(const ChangeEvent&)> deliver,
             std::function<void()> on_connections_lost);
  /// Stops the thread; changes not yet delivered are dropped (no stream survives).
  ~ChangeFeed();
  ChangeFeed(const ChangeFeed&) = delete;
  ChangeFeed& operator=(const ChangeFeed&) = delete;

  /// This replica is about to commit `revision`: its own notification may arrive
  /// before committed(), and must not make the feed read what it is about to be
  /// handed. Follow with committed() or abandoned().
  void committing(Revision revision);
  /// A revision this replica committed, with the desired configs it moved (maybe
  /// none). Any thread; returns at once.
  void committed(ChangeEvent event);
  /// The commit of `revision` failed or its outcome is unknown: the feed reads the
  /// database for it (and finds it, if it did commit).
  void abandoned(Revision revision);

  /// Blocks until every revision up to `revision` has been delivered, or `timeout`.
  bool wait_delivered(Revision revision, std::chrono::milliseconds timeout);

 private:
  struct State;
  void run();

  FeedOptions opt_;
  std::unique_ptr<pg::Conn> first_conn_;  ///< listening since construction; run() takes it
  Revision first_cursor_ = 0;
  std::function<void(const ChangeEvent&)> deliver_;
  std::function<void()> on_connections_lost_;
  std::unique_ptr<State> st_;
  std::thread thread_;
};

}  // namespace henge::store::postgres

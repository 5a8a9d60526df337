#pragma once
// The device protocol's constants (docs/protocol.md), named once for henge's C++
// clients; libhenge names the same ones in clients/c/src/protocol.h.

#include <chrono>
#include <cstddef>
#include <string_view>

namespace henge::client::protocol {

// goaway reasons.
inline constexpr std::string_view kReplaced = "replaced";  ///< another stream took over: do not come back soon
inline constexpr std::string_view kDeleted = "deleted";
inline constexpr std::string_view kTokenRotated = "token_rotated";
inline constexpr std::string_view kShutdown = "shutdown";  ///< reconnect within random(0, retry)
inline constexpr std::string_view kOverflow = "overflow";  ///< reconnect with Last-Event-ID

/// The retry: henged sends first; what a client assumes until it has one.
inline constexpr std::chrono::milliseconds kDefaultRetry{2000};
/// henged's default keepalive interval; a client hearing nothing for
/// kKeepaliveMultiple of them treats the stream as dead.
inline constexpr std::chrono::milliseconds kDefaultKeepalive{15000};
inline constexpr int kKeepaliveMultiple = 3;

// Reconnect backoff: random(0, min(cap, base * 2^n)); n resets after a connection
// stayed up kHealthyConnection.
inline constexpr std::chrono::milliseconds kBackoffBase{500};
inline constexpr std::chrono::milliseconds kBackoffCap{60000};
inline constexpr std::chrono::milliseconds kHealthyConnection{30000};

/// What henged keeps of a rejection's `error`.
inline constexpr std::size_t kMaxAckError = 4096;
/// What a config's document and event framing add to the config itself.
inline constexpr std::size_t kEventOverhead = 4096;

}  // namespace henge::client::protocol

#pragma once
// The round-trip invariant of docs/security.md: after any request henged accepts,
// every read — the fleet list, each device, its config and history, audit, schemas,
// groups, and the device's own poll — still answers 2xx or a 4xx it documents, never
// a 5xx. One App over a real store, with an admin and a device whose tokens callers
// know, driven request by request. Used by the round-trip fuzz target and by its
// property test in the suite; henged itself never links it.

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "server/http_types.hpp"
#include "store/store.hpp"

namespace henge::api {

class App;

class RoundTrip final {
 public:
  static constexpr std::string_view kAdminToken = "roundtrip-admin-token-0123456789";
  static constexpr std::string_view kDeviceToken = "hdt_roundtrip-device-token-0123456789";
  static constexpr std::string_view kDevice = "pi-1";

  /// Over `store` (empty; kept for the RoundTrip's life), with the device kDevice
  /// registered and given kDeviceToken.
  explicit RoundTrip(std::unique_ptr<store::Store> store);
  ~RoundTrip();
  RoundTrip(const RoundTrip&) = delete;
  RoundTrip& operator=(const RoundTrip&) = delete;

  /// Answers `req` as henged would, then runs every read. Returns what broke the
  /// invariant ("GET /v1/devices answered 500: …"), or nullopt.
  std::optional<std::string> check(server::Request&& req);

  /// The answer to `req`, with nothing checked after it.
  server::Response handle(server::Request&& req);

 private:
  std::optional<std::string> check_reads();

  struct Parts;
  std::unique_ptr<Parts> parts_;
};

/// A request as a client sends it: `target` may carry a query; `token` becomes the
/// Authorization header; a body comes with Content-Type `content_type`.
server::Request make_request(std::string method, std::string target, std::string_view token, std::string body = {},
                             std::string content_type = "application/json");

}  // namespace henge::api

#pragma once
// Hashing and randomness for tokens and config digests (OpenSSL underneath).

#include <string>
#include <string_view>

namespace henge::core {

/// Lower-case hex SHA-256 of `data`.
std::string sha256_hex(std::string_view data);

/// A new secret of `bytes` random bytes from the OS CSPRNG, base64url without padding.
/// Aborts if the CSPRNG fails: a predictable token is worse than no server.
std::string random_token(std::size_t bytes = 32);

/// Compares two strings in time independent of where they differ.
bool constant_time_equal(std::string_view a, std::string_view b) noexcept;

/// base64url (RFC 4648 §5) without padding, and its inverse (false on bad input).
std::string base64url_encode(std::string_view data);
bool base64url_decode(std::string_view text, std::string& out);

}  // namespace henge::core

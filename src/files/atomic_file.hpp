#pragma once
// Replacing a file so that, whatever happens and whenever the process dies, it holds
// either its old content or its new content, never part of either: write a temporary
// file beside it, fsync, read it back, rename it over the target, fsync the directory.

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.hpp"

namespace henge::files {

/// Called at named points of a write ("half_written", "staged"); tests use it to kill
/// the process there. Production code passes none.
using FaultProbe = std::function<void(std::string_view point)>;

/// A temporary file holding the new content, beside its target, durable and verified.
/// Deleted when destroyed unless committed.
class StagedFile final {
 public:
  StagedFile() = default;
  StagedFile(std::string temp, std::string target) : temp_(std::move(temp)), target_(std::move(target)) {}
  StagedFile(StagedFile&& other) noexcept;
  StagedFile& operator=(StagedFile&& other) noexcept;
  StagedFile(const StagedFile&) = delete;
  StagedFile& operator=(const StagedFile&) = delete;
  ~StagedFile();

  [[nodiscard]] const std::string& path() const { return temp_; }
  /// Renames the temporary file over the target and makes the rename durable.
  core::Status commit();

 private:
  std::string temp_;
  std::string target_;
};

/// Writes `bytes` into a new temporary file in `target`'s directory, fsyncs it, reads it
/// back and compares. The file gets `mode` when given, else the target's permissions
/// when it exists, else 0644.
core::Result<StagedFile> stage_file(const std::string& target, std::string_view bytes,
                                    const FaultProbe* probe = nullptr, std::optional<unsigned> mode = std::nullopt);

/// Writes `bytes` to `target` atomically: stage_file, then commit.
core::Status write_file_atomically(const std::string& target, std::string_view bytes,
                                   std::optional<unsigned> mode = std::nullopt);

/// Deletes the temporary files a killed writer left beside `target`.
void remove_stale_temporaries(const std::string& target);

/// The whole content of a file; `not_found` when it does not exist.
core::Result<std::string> read_file(const std::string& path, std::size_t limit);

}  // namespace henge::files

#include "files/atomic_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "core/crypto.hpp"

namespace henge::files {

using core::Errc;
using core::make_error;

namespace {

constexpr std::string_view kTempMarker = ".henge-tmp-";

core::Error os_error(const std::string& what, const std::string& path, int err) {
  return make_error(Errc::unavailable, what + " " + path + ": " + std::strerror(err));
}

std::string directory_of(const std::string& path) {
  const auto dir = std::filesystem::path(path).parent_path().string();
  return dir.empty() ? "." : dir;
}

std::string temp_prefix(const std::string& target) {
  const auto p = std::filesystem::path(target);
  return (p.parent_path() / ("." + p.filename().string() + std::string(kTempMarker))).string();
}

core::Status write_all(int fd, std::string_view bytes, const std::string& path) {
  while (!bytes.empty()) {
    const ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return os_error("cannot write", path, errno);
    }
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return {};
}

core::Status sync_directory(const std::string& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return os_error("cannot open directory", dir, errno);
  const int rc = ::fsync(fd);
  const int err = errno;
  ::close(fd);
  if (rc != 0) return os_error("cannot fsync directory", dir, err);
  return {};
}

}  // namespace

StagedFile::StagedFile(StagedFile&& other) noexcept
    : temp_(std::exchange(other.temp_, {})), target_(std::exchange(other.target_, {})) {}

StagedFile& StagedFile::operator=(StagedFile&& other) noexcept {
  if (this != &other) {
    if (!temp_.empty()) ::unlink(temp_.c_str());
    temp_ = std::exchange(other.temp_, {});
    target_ = std::exchange(other.target_, {});
  }
  return *this;
}

StagedFile::~StagedFile() {
  if (!temp_.empty()) ::unlink(temp_.c_str());
}

core::Status StagedFile::commit() {
  if (::rename(temp_.c_str(), target_.c_str()) != 0) return os_error("cannot rename over", target_, errno);
  temp_.clear();
  return sync_directory(directory_of(target_));
}

core::Result<StagedFile> stage_file(const std::string& target, std::string_view bytes, const FaultProbe* probe,
                                    std::optional<unsigned> wanted_mode) {
  mode_t mode = 0644;
  struct stat st {};
  if (wanted_mode) {
    mode = static_cast<mode_t>(*wanted_mode);
  } else if (::stat(target.c_str(), &st) == 0) {
    mode = st.st_mode & 07777;
  }

  int fd = -1;
  std::string temp;
  for (int attempt = 0; fd < 0 && attempt < 8; ++attempt) {
    temp = temp_prefix(target) + core::random_token(6);
    fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0 && errno != EEXIST) return os_error("cannot create", temp, errno);
  }
  if (fd < 0) return make_error(Errc::unavailable, "cannot create a temporary file beside " + target);
  StagedFile staged(temp, target);  // from here on, any failure deletes the temporary file

  core::Status written = write_all(fd, bytes.substr(0, bytes.size() / 2), temp);
  if (written.ok() && probe != nullptr) (*probe)("half_written");
  if (written.ok()) written = write_all(fd, bytes.substr(bytes.size() / 2), temp);
  if (written.ok() && ::fchmod(fd, mode) != 0) written = os_error("cannot set the mode of", temp, errno);
  if (written.ok() && ::fsync(fd) != 0) written = os_error("cannot fsync", temp, errno);
  ::close(fd);
  if (!written.ok()) return std::move(written).error();

  auto back = read_file(temp, bytes.size() + 1);
  if (!back.ok()) return std::move(back).error();
  if (*back != bytes) return make_error(Errc::internal, "read back " + temp + " and it differs from what was written");
  if (probe != nullptr) (*probe)("staged");
  return staged;
}

core::Status write_file_atomically(const std::string& target, std::string_view bytes, std::optional<unsigned> mode) {
  auto staged = stage_file(target, bytes, nullptr, mode);
  if (!staged.ok()) return std::move(staged).error();
  return staged->commit();
}

void remove_stale_temporaries(const std::string& target) {
  const auto dir = directory_of(target);
  const auto prefix = std::filesystem::path(temp_prefix(target)).filename().string();
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    if (entry.path().filename().string().starts_with(prefix)) std::filesystem::remove(entry.path(), ec);
  }
}

core::Result<std::string> read_file(const std::string& path, std::size_t limit) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return make_error(Errc::not_found, path + " does not exist");
    return os_error("cannot open", path, errno);
  }
  std::string out;
  char buf[16384];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int err = errno;
      ::close(fd);
      return os_error("cannot read", path, err);
    }
    if (n == 0) break;
    out.append(buf, static_cast<std::size_t>(n));
    if (out.size() > limit) {
      ::close(fd);
      return make_error(Errc::too_large, path + " is over " + std::to_string(limit) + " bytes");
    }
  }
  ::close(fd);
  return out;
}

}  // namespace henge::files

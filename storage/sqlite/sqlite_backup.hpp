#pragma once
// An online copy of an SQLite database, safe while waitlistd writes to it.

#include <chrono>
#include <cstdint>
#include <string>

namespace wl::storage::sqlite {

struct BackupResult {
    std::int64_t pages = 0;
    std::int64_t bytes = 0;
};

/// Copies the database at `source` to `destination` with SQLite's online backup API, in
/// one read transaction (under WAL, waitlistd's writers go on meanwhile). The copy is
/// written to `destination` + ".partial", checked (PRAGMA quick_check), switched to a
/// rollback journal so that it is one self-contained file, and then renamed into place:
/// `destination` is either the whole copy or untouched. Gives up after `deadline` if the
/// source stays locked. Throws StorageError naming the step that failed.
BackupResult backup_database(const std::string& source, const std::string& destination,
                             std::chrono::milliseconds deadline = std::chrono::seconds(60));

}  // namespace wl::storage::sqlite

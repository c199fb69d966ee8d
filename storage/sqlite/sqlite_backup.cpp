#include "storage/sqlite/sqlite_backup.hpp"

#include <sqlite3.h>

#include <cstdio>
#include <filesystem>
#include <memory>

#include "storage/types.hpp"

namespace wl::storage::sqlite {
namespace {

struct Closer {
    void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
using Handle = std::unique_ptr<sqlite3, Closer>;

[[noreturn]] void fail(const std::string& what, sqlite3* db, int rc)
{
    throw StorageError(ErrorKind::fatal, "backup: " + what + ": " + (db ? sqlite3_errmsg(db) : sqlite3_errstr(rc)));
}

Handle open(const std::string& path, int flags, const std::string& what)
{
    sqlite3* raw = nullptr;
    int rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
    Handle db(raw);
    if (rc != SQLITE_OK) fail(what + " " + path, raw, rc);
    return db;
}

void exec(sqlite3* db, const char* sql, const std::string& what)
{
    char* message = nullptr;
    int rc = sqlite3_exec(db, sql, nullptr, nullptr, &message);
    if (rc != SQLITE_OK) {
        std::string text = message ? message : sqlite3_errstr(rc);
        sqlite3_free(message);
        throw StorageError(ErrorKind::fatal, "backup: " + what + ": " + text);
    }
}

std::string quick_check(sqlite3* db)
{
    sqlite3_stmt* st = nullptr;
    if (sqlite3_prepare_v2(db, "PRAGMA quick_check", -1, &st, nullptr) != SQLITE_OK) fail("checking the copy", db, 0);
    std::string verdict;
    while (sqlite3_step(st) == SQLITE_ROW) {
        const unsigned char* text = sqlite3_column_text(st, 0);
        if (!verdict.empty()) verdict += "; ";
        verdict += text ? reinterpret_cast<const char*>(text) : "";
    }
    sqlite3_finalize(st);
    return verdict;
}

}  // namespace

BackupResult backup_database(const std::string& source, const std::string& destination,
                             std::chrono::milliseconds deadline)
{
    namespace fs = std::filesystem;
    std::error_code ec;
    if (!fs::is_regular_file(source, ec)) throw StorageError(ErrorKind::fatal, "backup: no database file at " + source);
    // Read-write without create: the source's WAL index (-shm) must be writable to read under
    // WAL, and a mistyped path must not leave an empty database behind.
    Handle src = open(source, SQLITE_OPEN_READWRITE, "opening");
    const std::string partial = destination + ".partial";
    fs::remove(partial, ec);
    BackupResult result;
    {
        Handle dst = open(partial, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, "creating");
        sqlite3_backup* backup = sqlite3_backup_init(dst.get(), "main", src.get(), "main");
        if (!backup) fail("starting", dst.get(), 0);
        const auto give_up = std::chrono::steady_clock::now() + deadline;
        int rc;
        // -1: every page in one step, so the copy is one consistent snapshot. A writer that
        // holds the lock at that moment makes the step BUSY; wait a little and try again.
        while ((rc = sqlite3_backup_step(backup, -1)) == SQLITE_BUSY || rc == SQLITE_LOCKED) {
            if (std::chrono::steady_clock::now() > give_up) break;
            sqlite3_sleep(20);
        }
        result.pages = sqlite3_backup_pagecount(backup);
        sqlite3_backup_finish(backup);
        if (rc != SQLITE_DONE) {
            fs::remove(partial, ec);
            fail("copying " + source, nullptr, rc);
        }
        std::string verdict = quick_check(dst.get());
        if (verdict != "ok") {
            dst.reset();
            fs::remove(partial, ec);
            throw StorageError(ErrorKind::fatal, "backup: the copy fails its check: " + verdict);
        }
        // The source's WAL mode came along in the header; a rollback journal makes the copy
        // one file with nothing pending beside it.
        exec(dst.get(), "PRAGMA journal_mode=DELETE", "finishing the copy");
    }
    fs::rename(partial, destination, ec);
    if (ec)
        throw StorageError(ErrorKind::fatal,
                           "backup: renaming " + partial + " to " + destination + ": " + ec.message());
    result.bytes = static_cast<std::int64_t>(fs::file_size(destination, ec));
    return result;
}

}  // namespace wl::storage::sqlite

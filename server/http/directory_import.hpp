#pragma once
// The rows of one POST /v1/directory:import request: NDJSON, one object per line,
//   {"line": N, "jid": "user@domain", "uri": "tel:+1 (303) 555-0100"}
// "line" is the row's line in the operator's file (for the refusal report); without it, the
// line within the body. "uri" is a whole tel:/mailto: URI or a bare value (with '@': an
// address, else a phone number), canonicalised exactly as the single-account routes do
// (proto/contact_uri.hpp). A bad row is refused by itself; it never fails the request.
//
// Pure code (no I/O): the admin API runs it on a database thread, since libphonenumber and
// stringprep cost microseconds a row.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "proto/contact_uri.hpp"
#include "storage/types.hpp"

namespace wl::server::http {

struct ImportRefusal {
    std::int64_t line = 0;
    std::string reason;  // never repeats the row's JID or URI (personal data)
};

struct ImportBatch {
    std::vector<storage::DirectoryRow> rows;
    std::vector<std::int64_t> lines;  // the line of each row
    std::vector<ImportRefusal> refusals;
    std::size_t rows_read = 0;  // rows (non-empty lines) in the body
};

// Rows per request: PostgreSQL holds a lock per JID and per URI until the batch commits.
inline constexpr std::size_t max_import_rows = 5000;

// The jid must be a bare JID of `domain` with a local part; returns it normalised, or
// the reason it is refused.
struct CheckedJid {
    std::string jid;
    std::string problem;
};
CheckedJid check_account_jid(std::string_view text, const std::string& domain);

// libphonenumber costs tens of microseconds a number: the body is cut at line ends into
// `threads` parts parsed at once (the caller's thread takes the first).
ImportBatch parse_import_body(std::string_view body, const proto::UriPolicy& policy, const std::string& domain,
                              std::size_t threads = 1);

// The query of a request target ("/v1/directory?after=x&limit=5") by name, percent-decoded;
// nullopt when an escape is malformed (`bad_name` then names the parameter).
std::optional<std::map<std::string, std::string, std::less<>>> parse_query(std::string_view target,
                                                                           std::string& bad_name);

// A sync run's id as the client names it: 1 to 64 of [A-Za-z0-9_-].
bool valid_run_id(std::string_view id);

// The answer: counts and the refusals (the batch's, then the Store's).
nlohmann::json import_summary(const ImportBatch& batch, const storage::DirectoryImportResult& result);

}  // namespace wl::server::http

#pragma once
// The admin API (described in openapi.json beside this file): JSON over HTTP under /v1/, for the operator and waitlistctl.
//
//   GET    /v1/accounts                   200 {"accounts":[{"jid","uris":[...],"created"}]}
//   POST   /v1/accounts                   {"jid","password","uris":[...]}  201 (Location)
//   DELETE /v1/accounts/{jid}             204
//   POST   /v1/accounts/{jid}/uris        {"uri"}  201; 200 when the account already had it
//   DELETE /v1/accounts/{jid}/uris/{uri}  204 (the uri percent-encoded in the path)
//   GET    /v1/accounts/{jid}/waitlist    200 {"jid","items":[{"id","uri","given_uri","name",
//                                                "state","jid"?,"created","updated"}]}
//   GET    /v1/openapi.json               200 the OpenAPI 3.1 document of these routes
//   GET    /v1/partners                   200 {"partners":[{"jid","domain"?,"service"?,"serves",
//                                                "inbound_requests"}]}
//     "service": the partner's waiting list service, configured or (for a partner known by
//     its domain alone) discovered; absent while unknown. "inbound_requests": the requests
//     that service has recorded with us (we are its InteropPartner).
//   POST   /v1/directory:import          NDJSON rows {"line"?,"jid","uri"}, at most 5000 (body
//                                          up to 4 MiB)  200 {"rows","added","changed","unchanged",
//                                          "refused","accounts_created","waiting_users_told",
//                                          "partners_told","refusals":[{"line","reason"}]}
//     Bulk provisioning, one batch per request in one transaction (server/http/directory_import.hpp);
//     missing accounts are created without a password; repeating a batch changes nothing.
//     "?run=ID" remembers the batch's URIs under a sync run; "&dry_run=true" writes nothing
//     else and answers what the batch would do.
//   POST   /v1/directory:sync             {"run","dry_run"?}  200 {"seen","dry_run","removed":[{"jid","uri"}]}
//     Removes every URI the run did not import (the file is the whole truth); 409 for a run
//     that imported nothing.
//   GET    /v1/directory?after=URI&limit=N  200 {"rows":[{"jid","uri"}],"next"?} in URI order
//
// Authentication: "Authorization: Bearer <http.admin_token>" on every /v1/ request; a
// missing or wrong token is 401. An empty http.admin_token switches the API off: every /v1/
// request is 403, so a forgotten token never leaves the API open.
//
// Input: a JID must be a bare JID of our domain with a local part (normalised by stringprep
// before it is stored); a URI is a whole "tel:..." or "mailto:..." URI, stored in its
// canonical form (proto/contact_uri.hpp). Every refusal of input is 4xx with a JSON body
// {"error": sentence, "field": "jid" | "password" | "uris[1]" | "uri" | ...} naming the
// field (no "field" when the body as a whole is not a JSON object). Unknown account 404;
// an account that exists, or a URI of another account, 409. A database failure is 503.
//
// Creating an account or adding a URI is "the contact registers": the Store marks every
// waiting item for the URI found and queues the pushes in the same transaction; the API
// then calls `on_registered` so that the job dispatcher sends them at once. The SCRAM key
// derivation (PBKDF2) runs on a database thread, never on an I/O thread.
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "server/config.hpp"
#include "storage/db_executor.hpp"

namespace wl::server::http {

class HttpServer;

struct AdminApiOptions {
    int scram_iterations = 4096;          // at least proto::sasl::min_scram_iterations
    std::function<void()> on_registered;  // e.g. JobDispatcher::wake; may be empty
    // POST /v1/partners/reconcile: starts a reconciliation with the partner named (jid or
    // domain; "" for all) and returns the partners it started for (WaitingListService::reconcile).
    std::function<std::vector<std::string>(const std::string& partner)> reconcile;
    // GET /v1/partners: the service speaking for a partner (its jid or domain), configured
    // or discovered (WaitingListService::partner_service). Unset: the configured jid only.
    std::function<std::optional<std::string>(const std::string& partner)> partner_service;
};

// Adds the /v1/ routes to `http`. `config` and `db` must outlive the server's connections.
void register_admin_api(HttpServer& http, const Config& config, storage::DbExecutor& db, AdminApiOptions options = {});

}  // namespace wl::server::http

#include "server/http/admin_api.hpp"

#include <boost/beast/http/field.hpp>
#include <openssl/crypto.h>

#include <cstdlib>
#include <ctime>
#include <memory>
#include <optional>
#include <set>
#include <thread>
#include <string>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "proto/contact_uri.hpp"
#include "proto/jid.hpp"
#include "proto/sasl/scram.hpp"
#include "federation/async/await_answer.hpp"
#include "server/http/directory_import.hpp"
#include "server/http/openapi.hpp"
#include "server/http/server.hpp"
#include "server/log.hpp"
#include "server/metrics.hpp"

namespace wl::server::http {

namespace asio = boost::asio;
namespace bhttp = boost::beast::http;
using json = nlohmann::json;

namespace {

// Either the value or the response that refuses the request.
template <class T>
using Checked = std::variant<T, Response>;

Response bad(std::string_view message, std::string_view field)
{
    return json_error(Status::bad_request, message, field);
}

std::string iso8601(storage::TimePoint t)
{
    std::time_t secs = storage::Clock::to_time_t(t);
    std::tm tm{};
    gmtime_r(&secs, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

storage::ScramCredential to_storage(storage::ScramMechanism mechanism, const proto::sasl::ScramCredentials& c)
{
    storage::ScramCredential out;
    out.mechanism = mechanism;
    out.salt.assign(c.salt.begin(), c.salt.end());
    out.iterations = static_cast<std::uint32_t>(c.iterations);
    out.stored_key.assign(c.stored_key.begin(), c.stored_key.end());
    out.server_key.assign(c.server_key.begin(), c.server_key.end());
    return out;
}

class AdminApi {
public:
    AdminApi(const Config& config, storage::DbExecutor& db, AdminApiOptions options)
        : config_(config),
          db_(db),
          options_(std::move(options)),
          token_(config.http.admin_token)
    {
        if (auto d = proto::Jid::parse(config.domain)) domain_ = d->domain();
        policy_.default_region = config.waitlist.default_region;
        policy_.schemes = config.waitlist.schemes;
    }

    // ---- checks shared by the routes ----

    std::optional<Response> check_auth(const Request& req) const
    {
        if (token_.empty())
            return json_error(Status::forbidden, "the admin API is disabled: http.admin_token is empty");
        auto header = req[bhttp::field::authorization];
        std::string_view value(header.data(), header.size());
        constexpr std::string_view scheme = "bearer ";
        bool has_scheme = value.size() > scheme.size();
        for (std::size_t i = 0; has_scheme && i < scheme.size(); ++i)
            has_scheme = std::tolower(static_cast<unsigned char>(value[i])) == scheme[i];
        if (has_scheme) {
            proto::Secret given(value.substr(scheme.size()));
            if (given == token_) return std::nullopt;
        }
        auto res = json_error(Status::unauthorized,
                              has_scheme ? "wrong admin token" : "missing \"Authorization: Bearer <token>\" header");
        res.set(bhttp::field::www_authenticate, "Bearer realm=\"waitlistd admin\"");
        return res;
    }

    Checked<std::string> account_jid(std::string_view text, std::string_view field) const
    {
        auto checked = check_account_jid(text, domain_);
        if (!checked.problem.empty()) return bad(checked.problem, field);
        return std::move(checked.jid);
    }

    Checked<std::string> contact_uri(std::string_view text, std::string_view field) const
    {
        auto parsed = proto::parse_contact_uri(text, policy_);
        if (parsed) return parsed.uri->canonical;
        json j = {{"error",
                   parsed.problem == proto::UriProblem::unsupported_scheme ? "unsupported uri scheme" : "invalid uri"},
                  {"field", field},
                  {"reason", parsed.reason}};
        return json_response(Status::bad_request, j.dump());
    }

    // The body as a JSON object with only `allowed` keys.
    static Checked<json> object_body(const Request& req, std::initializer_list<std::string_view> allowed)
    {
        json body = json::parse(req.body(), nullptr, false);
        if (body.is_discarded()) return json_error(Status::bad_request, "the body is not valid JSON");
        if (!body.is_object()) return json_error(Status::bad_request, "the body must be a JSON object");
        for (const auto& [key, value] : body.items()) {
            bool known = false;
            for (auto a : allowed) known = known || key == a;
            if (!known) return bad("unknown field", key);
        }
        return body;
    }

    static Checked<std::string> string_field(const json& body, const std::string& key)
    {
        auto it = body.find(key);
        if (it == body.end()) return bad("missing field", key);
        if (!it->is_string()) return bad("must be a string", key);
        return it->get<std::string>();
    }

    // Runs `work` on a database thread; a database failure becomes 503. `work` is a named
    // local of the caller (see federation/async/await_answer.hpp: g++ 12 and by-value coroutine arguments).
    template <class Work>
    asio::awaitable<Checked<std::invoke_result_t<Work&, storage::Store&>>> db(Work& work)
    {
        auto result = co_await async::db_call(db_, work);
        if (result.ok()) co_return std::move(*result.value);
        try {
            std::rethrow_exception(result.error);
        } catch (const storage::StorageError& e) {
            spdlog::error("admin API: database: {}", e.what());
        }
        co_return json_error(Status::service_unavailable, "the database is unavailable; try again");
    }

    void registered(std::size_t items_found, std::size_t partners_told)
    {
        server_metrics().pushes_queued.inc(items_found);
        if ((items_found > 0 || partners_told > 0) && options_.on_registered) options_.on_registered();
    }

    // ---- the routes ----

    asio::awaitable<Response> list_accounts(const Request&, const PathParams&)
    {
        auto work = [](storage::Store& s) { return s.list_accounts(); };
        auto r = co_await db(work);
        if (auto* refusal = std::get_if<Response>(&r)) co_return std::move(*refusal);
        json out = json::array();
        for (const auto& a : std::get<0>(r))
            out.push_back({{"jid", a.jid}, {"uris", a.uris}, {"created", iso8601(a.created)}});
        co_return json_response(Status::ok, json{{"accounts", out}}.dump());
    }

    asio::awaitable<Response> create_account(const Request& req, const PathParams&)
    {
        auto body = object_body(req, {"jid", "password", "uris"});
        if (auto* refusal = std::get_if<Response>(&body)) co_return std::move(*refusal);
        const json& b = std::get<json>(body);

        auto jid_text = string_field(b, "jid");
        if (auto* refusal = std::get_if<Response>(&jid_text)) co_return std::move(*refusal);
        auto jid = account_jid(std::get<std::string>(jid_text), "jid");
        if (auto* refusal = std::get_if<Response>(&jid)) co_return std::move(*refusal);

        auto password_text = string_field(b, "password");
        if (auto* refusal = std::get_if<Response>(&password_text)) co_return std::move(*refusal);
        auto password = std::make_shared<proto::Secret>(std::get<std::string>(password_text));
        if (password->empty()) co_return bad("the password must not be empty", "password");
        if (password->size() > 1023) co_return bad("the password is longer than 1023 bytes", "password");

        std::vector<std::string> uris;
        std::vector<std::string> fields;  // the field each canonical URI came from
        if (auto it = b.find("uris"); it != b.end()) {
            if (!it->is_array()) co_return bad("must be an array of strings", "uris");
            std::set<std::string> seen;
            for (std::size_t i = 0; i < it->size(); ++i) {
                const std::string field = "uris[" + std::to_string(i) + "]";
                if (!(*it)[i].is_string()) co_return bad("must be a string", field);
                auto uri = contact_uri((*it)[i].get<std::string>(), field);
                if (auto* refusal = std::get_if<Response>(&uri)) co_return std::move(*refusal);
                if (seen.insert(std::get<std::string>(uri)).second) {
                    uris.push_back(std::get<std::string>(uri));
                    fields.push_back(field);
                }
            }
        }

        struct Outcome {
            bool password_refused = false;
            storage::CreateAccountResult result;
        };
        const int iterations = options_.scram_iterations;
        auto work = [account_jid = std::get<std::string>(jid), password, uris, iterations](storage::Store& s) {
            using proto::sasl::ScramHash;
            Outcome out;
            storage::NewAccount account;
            account.jid = account_jid;
            account.uris = uris;
            for (auto [hash, mechanism] : {std::pair{ScramHash::sha1, storage::ScramMechanism::sha1},
                                           std::pair{ScramHash::sha256, storage::ScramMechanism::sha256}}) {
                auto creds = proto::sasl::make_scram_credentials(hash, password->view(),
                                                                 proto::sasl::random_scram_salt(), iterations);
                if (!creds) {
                    out.password_refused = true;
                    return out;
                }
                account.credentials.push_back(to_storage(mechanism, *creds));
            }
            out.result = s.create_account(account);
            return out;
        };
        auto r = co_await db(work);
        if (auto* refusal = std::get_if<Response>(&r)) co_return std::move(*refusal);
        const Outcome& out = std::get<Outcome>(r);
        if (out.password_refused)
            co_return bad("the password is refused by SASLprep (RFC 4013): it has prohibited characters", "password");
        switch (out.result.status) {
        case storage::CreateAccountStatus::already_exists:
            co_return json_error(Status::conflict, "the account already exists", "jid");
        case storage::CreateAccountStatus::uri_taken: {
            std::string field = "uris";
            for (std::size_t i = 0; i < uris.size(); ++i)
                if (uris[i] == out.result.conflicting_uri) field = fields[i];
            co_return json_error(Status::conflict, "the uri belongs to another account", field);
        }
        case storage::CreateAccountStatus::created:
            break;
        }
        registered(out.result.items_found, out.result.partners_told);
        spdlog::info("admin API: account {} created with {} uri(s)", std::get<std::string>(jid), uris.size());
        json reply = {{"jid", std::get<std::string>(jid)},
                      {"uris", uris},
                      {"waiting_users_told", out.result.items_found},
                      {"partners_told", out.result.partners_told}};
        auto res = json_response(Status::created, reply.dump());
        res.set(bhttp::field::location, "/v1/accounts/" + percent_encode(std::get<std::string>(jid)));
        co_return res;
    }

    asio::awaitable<Response> delete_account(const Request& req, const PathParams& params)
    {
        auto jid = account_jid(params.at("jid"), "jid");
        if (auto* refusal = std::get_if<Response>(&jid)) co_return std::move(*refusal);
        auto work = [j = std::get<std::string>(jid)](storage::Store& s) { return s.delete_account(j); };
        auto r = co_await db(work);
        if (auto* refusal = std::get_if<Response>(&r)) co_return std::move(*refusal);
        if (std::get<storage::RemoveStatus>(r) == storage::RemoveStatus::not_found)
            co_return json_error(Status::not_found, "unknown account", "jid");
        spdlog::info("admin API: account {} deleted", std::get<std::string>(jid));
        (void)req;
        co_return Response{Status::no_content, 11};
    }

    asio::awaitable<Response> add_uri(const Request& req, const PathParams& params)
    {
        auto jid = account_jid(params.at("jid"), "jid");
        if (auto* refusal = std::get_if<Response>(&jid)) co_return std::move(*refusal);
        auto body = object_body(req, {"uri"});
        if (auto* refusal = std::get_if<Response>(&body)) co_return std::move(*refusal);
        auto uri_text = string_field(std::get<json>(body), "uri");
        if (auto* refusal = std::get_if<Response>(&uri_text)) co_return std::move(*refusal);
        auto uri = contact_uri(std::get<std::string>(uri_text), "uri");
        if (auto* refusal = std::get_if<Response>(&uri)) co_return std::move(*refusal);

        auto work = [j = std::get<std::string>(jid), u = std::get<std::string>(uri)](storage::Store& s) {
            return s.add_uri(j, u);
        };
        auto r = co_await db(work);
        if (auto* refusal = std::get_if<Response>(&r)) co_return std::move(*refusal);
        const auto& result = std::get<storage::AddUriResult>(r);
        switch (result.status) {
        case storage::AddUriStatus::unknown_account:
            co_return json_error(Status::not_found, "unknown account", "jid");
        case storage::AddUriStatus::owned_by_other:
            co_return json_error(Status::conflict, "the uri belongs to another account", "uri");
        case storage::AddUriStatus::already_yours:
        case storage::AddUriStatus::added:
            break;
        }
        const bool added = result.status == storage::AddUriStatus::added;
        if (added) registered(result.items_found, result.partners_told);
        json reply = {{"jid", std::get<std::string>(jid)},
                      {"uri", std::get<std::string>(uri)},
                      {"added", added},
                      {"waiting_users_told", result.items_found},
                      {"partners_told", result.partners_told}};
        co_return json_response(added ? Status::created : Status::ok, reply.dump());
    }

    asio::awaitable<Response> remove_uri(const Request&, const PathParams& params)
    {
        auto jid = account_jid(params.at("jid"), "jid");
        if (auto* refusal = std::get_if<Response>(&jid)) co_return std::move(*refusal);
        auto uri = contact_uri(params.at("uri"), "uri");
        if (auto* refusal = std::get_if<Response>(&uri)) co_return std::move(*refusal);
        enum class Outcome {
            removed,
            unknown_account,
            unknown_uri
        };
        auto work = [j = std::get<std::string>(jid), u = std::get<std::string>(uri)](storage::Store& s) {
            if (s.remove_uri(j, u) == storage::RemoveStatus::removed) return Outcome::removed;
            return s.account_exists(j) ? Outcome::unknown_uri : Outcome::unknown_account;
        };
        auto r = co_await db(work);
        if (auto* refusal = std::get_if<Response>(&r)) co_return std::move(*refusal);
        switch (std::get<Outcome>(r)) {
        case Outcome::unknown_account:
            co_return json_error(Status::not_found, "unknown account", "jid");
        case Outcome::unknown_uri:
            co_return json_error(Status::not_found, "the account has no such uri", "uri");
        case Outcome::removed:
            break;
        }
        co_return Response{Status::no_content, 11};
    }

    asio::awaitable<Response> waitlist(const Request&, const PathParams& params)
    {
        auto jid = account_jid(params.at("jid"), "jid");
        if (auto* refusal = std::get_if<Response>(&jid)) co_return std::move(*refusal);
        using Items = std::optional<std::vector<storage::Item>>;
        auto work = [j = std::get<std::string>(jid)](storage::Store& s) -> std::optional<Items> {
            if (!s.account_exists(j)) return std::nullopt;
            return s.list_items(j);
        };
        auto r = co_await db(work);
        if (auto* refusal = std::get_if<Response>(&r)) co_return std::move(*refusal);
        const auto& found = std::get<std::optional<Items>>(r);
        if (!found) co_return json_error(Status::not_found, "unknown account", "jid");
        json items = json::array();
        if (*found) {
            for (const auto& item : **found) {
                json i = {{"id", item.id},
                          {"uri", item.uri},
                          {"given_uri", item.given_uri},
                          {"name", item.name},
                          {"state", storage::to_string(item.state)},
                          {"created", iso8601(item.created)},
                          {"updated", iso8601(item.updated)}};
                if (item.jid) i["jid"] = *item.jid;
                items.push_back(std::move(i));
            }
        }
        co_return json_response(Status::ok, json{{"jid", std::get<std::string>(jid)}, {"items", items}}.dump());
    }

    asio::awaitable<Response> partners(const Request&, const PathParams&)
    {
        // Inbound requests are kept under the service that made them, which for a partner
        // known by its domain alone is the one discovered.
        std::vector<std::optional<std::string>> services;
        for (const auto& p : config_.partners) {
            if (options_.partner_service) {
                services.push_back(options_.partner_service(p.key()));
            } else {
                services.push_back(p.jid.empty() ? std::nullopt : std::optional<std::string>(p.jid));
            }
        }
        auto work = [services](storage::Store& s) {
            std::vector<std::size_t> counts;
            for (const auto& service : services)
                counts.push_back(service ? s.list_partner_requests(*service).size() : 0);
            return counts;
        };
        auto r = co_await db(work);
        if (auto* refusal = std::get_if<Response>(&r)) co_return std::move(*refusal);
        const auto& counts = std::get<std::vector<std::size_t>>(r);
        json out = json::array();
        for (std::size_t i = 0; i < config_.partners.size(); ++i) {
            json serves = json::object();
            for (const auto& [scheme, list] : config_.partners[i].serves) serves[scheme] = list;
            json entry = {{"jid", config_.partners[i].jid}, {"serves", serves}, {"inbound_requests", counts[i]}};
            if (!config_.partners[i].domain.empty()) entry["domain"] = config_.partners[i].domain;
            if (services[i]) entry["service"] = *services[i];
            out.push_back(std::move(entry));
        }
        co_return json_response(Status::ok, json{{"partners", out}}.dump());
    }

    // Reconciliation talks to partners over XMPP and takes seconds: it is started here and
    // reported in the log, not awaited (202).
    asio::awaitable<Response> reconcile(const Request& req, const PathParams&)
    {
        std::string partner;
        if (!req.body().empty()) {
            json body = json::parse(req.body(), nullptr, false);
            if (body.is_discarded() || !body.is_object())
                co_return json_error(Status::bad_request, "the body must be a JSON object", "body");
            if (body.contains("partner")) {
                if (!body["partner"].is_string())
                    co_return json_error(Status::bad_request, "must be a string", "partner");
                partner = body["partner"].get<std::string>();
            }
        }
        if (!options_.reconcile)
            co_return json_error(Status::service_unavailable, "no waiting list service here", "partner");
        auto started = options_.reconcile(partner);
        if (started.empty()) co_return json_error(Status::not_found, "no such partner", "partner");
        co_return json_response(Status::accepted, json{{"reconciling", started}}.dump());
    }

    // One batch of a bulk import (waitlistctl directory import sends the file in batches
    // on one connection; each answer is that batch's part of the summary). Parsing and
    // canonicalising run on the database thread with the write, never on the I/O thread.
    asio::awaitable<Response> import_directory(const Request& req, const PathParams&)
    {
        struct Outcome {
            ImportBatch batch;
            storage::DirectoryImportResult result;
        };
        std::string bad_name;
        auto query = parse_query(std::string_view(req.target().data(), req.target().size()), bad_name);
        if (!query) co_return bad("malformed percent-encoding", bad_name);
        storage::ImportOptions options;
        for (const auto& [name, value] : *query) {
            if (name == "run" && valid_run_id(value))
                options.sync_run = value;
            else if (name == "run")
                co_return bad("must be 1 to 64 letters, digits, '-' or '_'", "run");
            else if (name == "dry_run" && (value == "1" || value == "true"))
                options.dry_run = true;
            else if (name == "dry_run" && (value == "0" || value == "false"))
                options.dry_run = false;
            else if (name == "dry_run")
                co_return bad("must be true or false", "dry_run");
            else
                co_return bad("unknown query parameter", name);
        }
        auto body = std::make_shared<std::string>(req.body());
        auto work = [body, options, policy = policy_, domain = domain_](storage::Store& s) {
            Outcome out;
            out.batch = parse_import_body(*body, policy, domain, std::max(1u, std::thread::hardware_concurrency()));
            if (out.batch.rows_read > max_import_rows) return out;
            out.result = s.import_directory(out.batch.rows, options);
            return out;
        };
        auto r = co_await db(work);
        if (auto* refusal = std::get_if<Response>(&r)) co_return std::move(*refusal);
        const Outcome& out = std::get<Outcome>(r);
        if (out.batch.rows_read > max_import_rows)
            co_return json_error(Status::payload_too_large,
                                 "at most " + std::to_string(max_import_rows) + " rows per request", "body");
        registered(out.result.items_found, out.result.partners_told);
        co_return json_response(Status::ok, import_summary(out.batch, out.result).dump());
    }

    // GET /v1/directory?after=URI&limit=N: a page in URI order; "next" names the last URI
    // when more may follow.
    asio::awaitable<Response> export_directory(const Request& req, const PathParams&)
    {
        std::string after;
        std::size_t limit = 1000;
        std::string bad_name;
        auto query = parse_query(std::string_view(req.target().data(), req.target().size()), bad_name);
        if (!query) co_return bad("malformed percent-encoding", bad_name);
        for (const auto& [name, value] : *query) {
            if (name == "after") {
                after = value;
            } else if (name == "limit") {
                char* end = nullptr;
                unsigned long n = std::strtoul(value.c_str(), &end, 10);
                if (value.empty() || *end != '\0' || n == 0 || n > 10000)
                    co_return bad("must be an integer from 1 to 10000", "limit");
                limit = n;
            } else {
                co_return bad("unknown query parameter", name);
            }
        }
        auto work = [after, limit](storage::Store& s) { return s.list_directory(after, limit); };
        auto r = co_await db(work);
        if (auto* refusal = std::get_if<Response>(&r)) co_return std::move(*refusal);
        const auto& rows = std::get<std::vector<storage::DirectoryRow>>(r);
        json out = json::array();
        for (const auto& row : rows) out.push_back({{"jid", row.jid}, {"uri", row.uri}});
        json reply = {{"rows", out}};
        if (rows.size() == limit) reply["next"] = rows.back().uri;
        co_return json_response(Status::ok, reply.dump());
    }

    // POST /v1/directory:sync {"run", "dry_run"?}: the file of that run is the whole truth.
    asio::awaitable<Response> sync_directory(const Request& req, const PathParams&)
    {
        auto body = object_body(req, {"run", "dry_run"});
        if (auto* refusal = std::get_if<Response>(&body)) co_return std::move(*refusal);
        const json& b = std::get<json>(body);
        auto run = string_field(b, "run");
        if (auto* refusal = std::get_if<Response>(&run)) co_return std::move(*refusal);
        if (!valid_run_id(std::get<std::string>(run)))
            co_return bad("must be 1 to 64 letters, digits, '-' or '_'", "run");
        bool dry_run = false;
        if (auto it = b.find("dry_run"); it != b.end()) {
            if (!it->is_boolean()) co_return bad("must be true or false", "dry_run");
            dry_run = it->get<bool>();
        }
        auto work = [r = std::get<std::string>(run), dry_run](storage::Store& s) {
            return s.sync_directory(r, dry_run);
        };
        auto r = co_await db(work);
        if (auto* refusal = std::get_if<Response>(&r)) co_return std::move(*refusal);
        const auto& result = std::get<storage::SyncResult>(r);
        if (result.seen == 0)
            co_return json_error(Status::conflict, "the run imported no rows; a sync would empty the directory", "run");
        json removed = json::array();
        for (const auto& row : result.removed) removed.push_back({{"jid", row.jid}, {"uri", row.uri}});
        spdlog::info("admin API: directory sync {}: {} uri(s) {}", std::get<std::string>(run), result.removed.size(),
                     dry_run ? "would be removed" : "removed");
        co_return json_response(Status::ok,
                                json{{"seen", result.seen}, {"dry_run", dry_run}, {"removed", removed}}.dump());
    }

    asio::awaitable<Response> openapi(const Request&, const PathParams&)
    {
        co_return json_response(Status::ok, std::string(openapi_document()));
    }

private:
    const Config& config_;
    storage::DbExecutor& db_;
    AdminApiOptions options_;
    proto::Secret token_;
    std::string domain_;
    proto::UriPolicy policy_;
};

using Method = asio::awaitable<Response> (AdminApi::*)(const Request&, const PathParams&);

Handler guarded(std::shared_ptr<AdminApi> api, Method method)
{
    return [api, method](const Request& req, const PathParams& params) -> asio::awaitable<Response> {
        if (auto refusal = api->check_auth(req)) co_return std::move(*refusal);
        co_return co_await ((*api).*method)(req, params);
    };
}

}  // namespace

void register_admin_api(HttpServer& http, const Config& config, storage::DbExecutor& db, AdminApiOptions options)
{
    if (options.scram_iterations < proto::sasl::min_scram_iterations)
        options.scram_iterations = proto::sasl::min_scram_iterations;
    auto api = std::make_shared<AdminApi>(config, db, std::move(options));
    http.add_route(Verb::get, "/v1/accounts", guarded(api, &AdminApi::list_accounts));
    http.add_route(Verb::post, "/v1/accounts", guarded(api, &AdminApi::create_account));
    http.add_route(Verb::delete_, "/v1/accounts/{jid}", guarded(api, &AdminApi::delete_account));
    http.add_route(Verb::post, "/v1/accounts/{jid}/uris", guarded(api, &AdminApi::add_uri));
    http.add_route(Verb::delete_, "/v1/accounts/{jid}/uris/{uri}", guarded(api, &AdminApi::remove_uri));
    http.add_route(Verb::get, "/v1/accounts/{jid}/waitlist", guarded(api, &AdminApi::waitlist));
    http.add_route(Verb::get, "/v1/partners", guarded(api, &AdminApi::partners));
    http.add_route(Verb::post, "/v1/partners/reconcile", guarded(api, &AdminApi::reconcile));
    http.add_route(Verb::post, "/v1/directory:import", guarded(api, &AdminApi::import_directory), 4 * 1024 * 1024);
    http.add_route(Verb::get, "/v1/directory", guarded(api, &AdminApi::export_directory));
    http.add_route(Verb::post, "/v1/directory:sync", guarded(api, &AdminApi::sync_directory));
    http.add_route(Verb::get, "/v1/openapi.json", guarded(api, &AdminApi::openapi));
}

}  // namespace wl::server::http

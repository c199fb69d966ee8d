// waitlistctl: the operator's command line, a client of the admin API (server/http/openapi.json). It
// reads the address (http.listen[0]) and the token (http.admin_token) from the server's
// configuration file and turns the API's JSON answers into lines and tables.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <functional>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "server/config.hpp"
#include "storage/sqlite/sqlite_backup.hpp"
#include "server/waitlistctl_client.hpp"
#include "server/waitlistctl_directory.hpp"

namespace {

namespace bhttp = boost::beast::http;
using json = nlohmann::json;
using wl::ctl::AdminClient;
using wl::ctl::percent_encode;
using wl::ctl::Reply;

constexpr const char* usage_text =
    "usage: waitlistctl --config FILE COMMAND\n"
    "commands:\n"
    "  account add JID --password PW [--uri URI]...   create an account (PW '-': read it from stdin)\n"
    "  account del JID                                 delete an account and everything it owns\n"
    "  account list                                    list the accounts\n"
    "  uri add JID URI                                 register a contact URI for an account\n"
    "  uri del JID URI                                 remove a contact URI from an account\n"
    "  waitlist JID                                    show a user's waiting list\n"
    "  partners                                        show the permitted InteropPartners\n"
    "  partners reconcile [PARTNER]                    compare our requests with each partner's list (or one's)\n"
    "                                                  and send again what it lost\n"
    "  backup FILE                                     copy the SQLite database to FILE while waitlistd runs\n"
    "                                                  (PostgreSQL: use pg_dump)\n"
    "  directory import FILE|- [--report FILE] [--batch N] [--progress SECONDS]\n"
    "                                                  bulk provisioning from CSV (jid,uri) or JSON lines\n"
    "                                                  ({\"jid\",\"uris\":[...]}); refusals go to the report;\n"
    "                                                  progress lines every SECONDS when not on a terminal\n"
    "    --sync: the file is the whole truth; URIs not in it are removed at the end\n"
    "    --dry-run: write nothing; print what would be added, changed (and with --sync removed)\n"
    "  directory export [FILE]                         the whole directory as CSV (jid,uri)\n";

int usage(const std::string& problem = {})
{
    if (!problem.empty()) std::fprintf(stderr, "waitlistctl: %s\n", problem.c_str());
    std::fputs(usage_text, stderr);
    return 2;
}

// The API's JSON error as one sentence: "the uri belongs to another account (field "uri"; HTTP 409 Conflict)".
std::string explain(const Reply& reply)
{
    std::string sentence;
    std::string detail;
    json j = json::parse(reply.body, nullptr, false);
    if (j.is_object() && j.contains("error") && j["error"].is_string()) {
        sentence = j["error"].get<std::string>();
        if (j.contains("field") && j["field"].is_string()) detail = "field \"" + j["field"].get<std::string>() + "\"";
        if (j.contains("reason") && j["reason"].is_string() && !j["reason"].get<std::string>().empty())
            sentence += ": " + j["reason"].get<std::string>();
    } else {
        sentence = reply.body.empty() ? "no explanation given" : reply.body;
        while (!sentence.empty() && (sentence.back() == '\n' || sentence.back() == '\r')) sentence.pop_back();
    }
    if (!detail.empty()) detail += "; ";
    detail += "HTTP " + std::to_string(reply.status) + " " + reply.reason;
    return sentence + " (" + detail + ")";
}

int fail(const Reply& reply)
{
    std::fprintf(stderr, "waitlistctl: %s\n", explain(reply).c_str());
    return 1;
}

json body_of(const Reply& reply)
{
    json j = json::parse(reply.body, nullptr, false);
    if (j.is_discarded()) throw std::runtime_error("the admin API answered something that is not JSON");
    return j;
}

std::string text_of(const json& j, const char* key)
{
    auto it = j.find(key);
    return it != j.end() && it->is_string() ? it->get<std::string>() : std::string{};
}

void print_table(const std::vector<std::string>& header, const std::vector<std::vector<std::string>>& rows)
{
    std::vector<std::size_t> width(header.size());
    for (std::size_t c = 0; c < header.size(); ++c) width[c] = header[c].size();
    for (const auto& r : rows)
        for (std::size_t c = 0; c < r.size() && c < width.size(); ++c) width[c] = std::max(width[c], r[c].size());
    auto line = [&](const std::vector<std::string>& cells) {
        std::string out;
        for (std::size_t c = 0; c < cells.size(); ++c) {
            out += cells[c];
            if (c + 1 < cells.size()) out += std::string(width[c] - cells[c].size() + 2, ' ');
        }
        std::cout << out << "\n";
    };
    line(header);
    for (const auto& r : rows) line(r);
}

// Ends the line an account or URI change printed: who among the waiting users will be told.
void print_told(const json& j)
{
    std::size_t told = j.value("waiting_users_told", std::size_t{0});
    if (told > 0) std::cout << "; " << told << " waiting user" << (told == 1 ? "" : "s") << " will be told";
    std::cout << "\n";
}

// GET of a listing: one table row per element of the answer's `list`, or the line `none` makes
// of the whole answer when the list is empty.
int print_listing(AdminClient& client, const std::string& target, const char* list,
                  const std::vector<std::string>& header,
                  const std::function<std::vector<std::string>(const json&)>& row_of,
                  const std::function<std::string(const json&)>& none)
{
    auto reply = client.call(bhttp::verb::get, target);
    if (reply.status != 200) return fail(reply);
    auto j = body_of(reply);
    std::vector<std::vector<std::string>> rows;
    for (const auto& element : j.value(list, json::array())) rows.push_back(row_of(element));
    if (rows.empty()) {
        std::cout << none(j) << "\n";
        return 0;
    }
    print_table(header, rows);
    return 0;
}

// DELETE of one resource: `done` is printed when the API confirms it with 204.
int remove(AdminClient& client, const std::string& target, const std::string& done)
{
    auto reply = client.call(bhttp::verb::delete_, target);
    if (reply.status != 204) return fail(reply);
    std::cout << done << "\n";
    return 0;
}

int account_add(AdminClient& client, const std::vector<std::string>& args)
{
    // args: JID --password PW [--uri URI]...
    if (args.empty()) return usage("account add: missing JID");
    std::optional<std::string> password;
    std::vector<std::string> uris;
    for (std::size_t i = 1; i < args.size(); ++i) {
        if (args[i] == "--password" && i + 1 < args.size())
            password = args[++i];
        else if (args[i] == "--uri" && i + 1 < args.size())
            uris.push_back(args[++i]);
        else
            return usage("account add: unexpected argument '" + args[i] + "'");
    }
    if (!password) return usage("account add: --password is required");
    if (*password == "-") {
        std::string line;
        if (!std::getline(std::cin, line)) return usage("account add: no password on standard input");
        if (!line.empty() && line.back() == '\r') line.pop_back();
        password = line;
    }
    json body = {{"jid", args[0]}, {"password", *password}, {"uris", uris}};
    auto reply = client.call(bhttp::verb::post, "/v1/accounts", body.dump());
    if (reply.status != 201) return fail(reply);
    auto j = body_of(reply);
    std::size_t n = j.value("uris", json::array()).size();
    std::cout << "created account " << text_of(j, "jid") << " with " << n << " uri" << (n == 1 ? "" : "s");
    print_told(j);
    return 0;
}

int account_del(AdminClient& client, const std::vector<std::string>& args)
{
    if (args.size() != 1) return usage("account del: expected exactly one JID");
    return remove(client, "/v1/accounts/" + percent_encode(args[0]), "deleted account " + args[0]);
}

int account_list(AdminClient& client, const std::vector<std::string>& args)
{
    if (!args.empty()) return usage("account list: takes no arguments");
    return print_listing(
        client, "/v1/accounts", "accounts", {"JID", "CREATED", "URIS"},
        [](const json& a) -> std::vector<std::string> {
            std::string uris;
            for (const auto& u : a.value("uris", json::array()))
                uris += (uris.empty() ? "" : " ") + u.get<std::string>();
            return {text_of(a, "jid"), text_of(a, "created"), uris.empty() ? "-" : uris};
        },
        [](const json&) { return std::string("no accounts"); });
}

int uri_add(AdminClient& client, const std::vector<std::string>& args)
{
    if (args.size() != 2) return usage("uri add: expected JID URI");
    auto reply = client.call(bhttp::verb::post, "/v1/accounts/" + percent_encode(args[0]) + "/uris",
                             json{{"uri", args[1]}}.dump());
    if (reply.status != 201 && reply.status != 200) return fail(reply);
    auto j = body_of(reply);
    if (reply.status == 200) {
        std::cout << args[0] << " already has " << text_of(j, "uri") << "\n";
        return 0;
    }
    std::cout << "added " << text_of(j, "uri") << " to " << text_of(j, "jid");
    print_told(j);
    return 0;
}

int uri_del(AdminClient& client, const std::vector<std::string>& args)
{
    if (args.size() != 2) return usage("uri del: expected JID URI");
    return remove(client, "/v1/accounts/" + percent_encode(args[0]) + "/uris/" + percent_encode(args[1]),
                  "removed " + args[1] + " from " + args[0]);
}

int waitlist(AdminClient& client, const std::vector<std::string>& args)
{
    if (args.size() != 1) return usage("waitlist: expected exactly one JID");
    return print_listing(
        client, "/v1/accounts/" + percent_encode(args[0]) + "/waitlist", "items", {"ID", "STATE", "URI", "NAME", "JID"},
        [](const json& i) -> std::vector<std::string> {
            std::string name = text_of(i, "name");
            std::string jid = text_of(i, "jid");
            return {text_of(i, "id"), text_of(i, "state"), text_of(i, "uri"), name.empty() ? "-" : name,
                    jid.empty() ? "-" : jid};
        },
        [](const json& j) { return text_of(j, "jid") + " is waiting for nobody"; });
}

int partners(AdminClient& client, const std::vector<std::string>& args)
{
    if (!args.empty() && args[0] == "reconcile") {
        if (args.size() > 2) return usage("partners reconcile: takes at most one partner");
        json body = json::object();
        if (args.size() == 2) body["partner"] = args[1];
        auto started = client.call(bhttp::verb::post, "/v1/partners/reconcile", body.dump());
        if (started.status != 202) return fail(started);
        for (const auto& p : body_of(started).value("reconciling", json::array()))
            std::cout << "reconciling with " << p.get<std::string>() << " (results in waitlistd's log)\n";
        return 0;
    }
    if (!args.empty()) return usage("partners: takes no arguments, or reconcile [PARTNER]");
    return print_listing(
        client, "/v1/partners", "partners", {"PARTNER", "SERVES", "THEIR REQUESTS"},
        [](const json& p) -> std::vector<std::string> {
            std::string serves;
            const json serves_by_scheme = p.value("serves", json::object());  // items() must not outlive it
            for (const auto& [scheme, list] : serves_by_scheme.items())
                for (const auto& entry : list)
                    serves += (serves.empty() ? "" : " ") + scheme + ":" + entry.get<std::string>();
            // A partner known by its domain alone shows the service discovered for it, if any yet.
            std::string partner = text_of(p, "jid");
            if (partner.empty()) {
                partner = text_of(p, "domain") + (p.contains("service") ? " via " + text_of(p, "service")
                                                                        : std::string(" (service not discovered yet)"));
            }
            return {partner, serves.empty() ? "any URI not served here" : serves,
                    std::to_string(p.value("inbound_requests", 0))};
        },
        [](const json&) { return std::string("no partners configured"); });
}

// Reads the database file itself rather than asking the API: a backup must not depend on the
// server being up, and SQLite's backup API is safe beside a running waitlistd.
int backup(const wl::server::Config& config, const std::vector<std::string>& args)
{
    if (args.size() != 1) return usage("backup: expected exactly one FILE");
    if (config.storage.backend != "sqlite") {
        std::fprintf(stderr,
                     "waitlistctl: storage.backend is \"%s\": back the database up with PostgreSQL's own tools "
                     "(pg_dump for a logical copy, pg_basebackup and WAL archiving for point-in-time recovery)\n",
                     config.storage.backend.c_str());
        return 1;
    }
    const std::string source = config.resolve_path(config.storage.path);
    try {
        auto copied = wl::storage::sqlite::backup_database(source, args[0]);
        std::cout << "backed up " << source << " to " << args[0] << " (" << copied.pages << " pages, " << copied.bytes
                  << " bytes)\n";
        return 0;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "waitlistctl: %s\n", e.what());
        return 1;
    }
}

}  // namespace

int main(int argc, char** argv)
{
    std::string config_path;
    std::vector<std::string> words;
    for (int i = 1; i < argc; ++i) {
        if (std::strcmp(argv[i], "--config") == 0 && i + 1 < argc)
            config_path = argv[++i];
        else if (std::strcmp(argv[i], "--help") == 0 || std::strcmp(argv[i], "-h") == 0)
            return usage(), 0;
        else
            words.emplace_back(argv[i]);
    }
    if (config_path.empty()) return usage("--config FILE is required");
    if (words.empty()) return usage("no command given");

    auto loaded = wl::server::load_config_file(config_path);
    if (!loaded.errors.empty()) {
        for (const auto& e : loaded.errors) std::fprintf(stderr, "%s: %s\n", config_path.c_str(), e.c_str());
        return 1;
    }
    if (words[0] == "backup") return backup(*loaded.config, {words.begin() + 1, words.end()});
    const auto& http = loaded.config->http;
    if (http.listen.empty()) {
        std::fprintf(stderr, "waitlistctl: %s has no http.listen: the admin API is off\n", config_path.c_str());
        return 1;
    }
    std::string host = http.listen[0].host;
    // A wildcard listen address is reached through loopback.
    if (host == "0.0.0.0" || host.empty()) host = "127.0.0.1";
    if (host == "::") host = "::1";
    const wl::ctl::ApiAddress api{host, http.listen[0].port, http.admin_token};
    // PBKDF2 on a busy server may take a moment; a dead one must not hang the operator.
    AdminClient client(api, std::chrono::seconds(30));

    const std::string command = words[0];
    std::vector<std::string> rest(words.begin() + 1, words.end());
    try {
        if (command == "account" && !rest.empty()) {
            std::string sub = rest[0];
            std::vector<std::string> args(rest.begin() + 1, rest.end());
            if (sub == "add") return account_add(client, args);
            if (sub == "del") return account_del(client, args);
            if (sub == "list") return account_list(client, args);
            return usage("unknown command 'account " + sub + "'");
        }
        if (command == "uri" && !rest.empty()) {
            std::string sub = rest[0];
            std::vector<std::string> args(rest.begin() + 1, rest.end());
            if (sub == "add") return uri_add(client, args);
            if (sub == "del") return uri_del(client, args);
            return usage("unknown command 'uri " + sub + "'");
        }
        if (command == "waitlist") return waitlist(client, rest);
        if (command == "partners") return partners(client, rest);
        if (command == "directory") return wl::ctl::directory_command(api, rest);
        return usage("unknown command '" + command + "'");
    } catch (const std::exception& e) {
        std::fprintf(stderr, "waitlistctl: %s\n", e.what());
        return 1;
    }
}

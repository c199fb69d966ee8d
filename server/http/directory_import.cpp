#include "server/http/directory_import.hpp"

#include "proto/jid.hpp"

namespace wl::server::http {

using json = nlohmann::json;

CheckedJid check_account_jid(std::string_view text, const std::string& domain)
{
    auto jid = proto::Jid::parse(text);
    if (!jid) return {{}, "invalid jid"};
    if (jid->has_resource()) return {{}, "the jid must be a bare JID, without a resource"};
    if (!jid->has_node()) return {{}, "the jid must have a local part (user@" + domain + ")"};
    if (jid->domain() != domain) return {{}, "the jid must be in the domain " + domain};
    return {jid->bare_str(), {}};
}

namespace {

proto::UriParseResult canonical_uri(std::string_view text, const proto::UriPolicy& policy)
{
    if (text.find(':') != std::string_view::npos) return proto::parse_contact_uri(text, policy);
    return proto::parse_contact_uri(text.find('@') != std::string_view::npos ? "mailto" : "tel", text, policy);
}

}  // namespace

ImportBatch parse_import_body(std::string_view body, const proto::UriPolicy& policy, const std::string& domain)
{
    ImportBatch batch;
    std::int64_t body_line = 0;
    while (!body.empty()) {
        auto nl = body.find('\n');
        std::string_view text = body.substr(0, nl);
        body.remove_prefix(nl == std::string_view::npos ? body.size() : nl + 1);
        ++body_line;
        if (!text.empty() && text.back() == '\r') text.remove_suffix(1);
        if (text.find_first_not_of(" \t") == std::string_view::npos) continue;
        ++batch.rows_read;
        std::int64_t line = body_line;
        auto refuse = [&](std::string reason) { batch.refusals.push_back({line, std::move(reason)}); };
        json row = json::parse(text, nullptr, false);
        if (row.is_discarded() || !row.is_object()) {
            refuse("the row is not a JSON object");
            continue;
        }
        if (auto it = row.find("line"); it != row.end()) {
            if (!it->is_number_integer()) {
                refuse("\"line\" must be an integer");
                continue;
            }
            line = it->get<std::int64_t>();
        }
        auto jid_it = row.find("jid");
        auto uri_it = row.find("uri");
        if (jid_it == row.end() || !jid_it->is_string()) {
            refuse("\"jid\" must be a string");
            continue;
        }
        if (uri_it == row.end() || !uri_it->is_string()) {
            refuse("\"uri\" must be a string");
            continue;
        }
        auto jid = check_account_jid(jid_it->get<std::string>(), domain);
        if (!jid.problem.empty()) {
            refuse(jid.problem);
            continue;
        }
        auto uri = canonical_uri(uri_it->get<std::string>(), policy);
        if (!uri) {
            refuse((uri.problem == proto::UriProblem::unsupported_scheme ? "unsupported uri scheme: "
                                                                          : "invalid uri: ") +
                   uri.reason);
            continue;
        }
        batch.rows.push_back({std::move(jid.jid), std::move(uri.uri->canonical)});
        batch.lines.push_back(line);
    }
    return batch;
}

json import_summary(const ImportBatch& batch, const storage::DirectoryImportResult& result)
{
    std::size_t added = 0, changed = 0, unchanged = 0;
    json refusals = json::array();
    for (const auto& r : batch.refusals) refusals.push_back({{"line", r.line}, {"reason", r.reason}});
    for (std::size_t i = 0; i < result.rows.size(); ++i) {
        switch (result.rows[i].status) {
        case storage::ImportRowStatus::added: ++added; break;
        case storage::ImportRowStatus::changed: ++changed; break;
        case storage::ImportRowStatus::unchanged: ++unchanged; break;
        case storage::ImportRowStatus::refused:
            refusals.push_back({{"line", batch.lines[i]},
                                {"reason", "the uri is given to another account on line " +
                                               std::to_string(batch.lines[result.rows[i].same_as])}});
            break;
        }
    }
    return {{"rows", batch.rows_read},
            {"added", added},
            {"changed", changed},
            {"unchanged", unchanged},
            {"refused", refusals.size()},
            {"accounts_created", result.accounts_created},
            {"waiting_users_told", result.items_found},
            {"partners_told", result.partners_told},
            {"refusals", refusals}};
}

}  // namespace wl::server::http

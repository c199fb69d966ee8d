#include "server/http/directory_import.hpp"

#include <algorithm>
#include <cctype>
#include <future>
#include <iterator>

#include "proto/jid.hpp"
#include "server/http/server.hpp"

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

namespace {

ImportBatch parse_part(std::string_view body, std::int64_t first_line, const proto::UriPolicy& policy,
                       const std::string& domain)
{
    ImportBatch batch;
    std::int64_t body_line = first_line - 1;
    std::string last_jid_text;
    CheckedJid last_jid{{}, "invalid jid"};
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
        // An account's rows usually follow each other: stringprep once per account.
        const std::string& jid_text = jid_it->get_ref<const std::string&>();
        if (jid_text != last_jid_text) {
            last_jid = check_account_jid(jid_text, domain);
            last_jid_text = jid_text;
        }
        if (!last_jid.problem.empty()) {
            refuse(last_jid.problem);
            continue;
        }
        CheckedJid jid{last_jid.jid, {}};
        auto uri = canonical_uri(uri_it->get<std::string>(), policy);
        if (!uri) {
            refuse(
                (uri.problem == proto::UriProblem::unsupported_scheme ? "unsupported uri scheme: " : "invalid uri: ") +
                uri.reason);
            continue;
        }
        batch.rows.push_back({std::move(jid.jid), std::move(uri.uri->canonical)});
        batch.lines.push_back(line);
    }
    return batch;
}

}  // namespace

ImportBatch parse_import_body(std::string_view body, const proto::UriPolicy& policy, const std::string& domain,
                              std::size_t threads)
{
    // Parts end at line ends; each keeps its own line numbering.
    std::vector<std::pair<std::string_view, std::int64_t>> parts;
    const std::size_t want = std::max<std::size_t>(1, threads);
    std::int64_t line = 1;
    while (!body.empty()) {
        std::size_t cut =
            parts.size() + 1 == want ? body.size() : std::min(body.size(), body.size() / (want - parts.size()));
        cut = body.find('\n', cut == 0 ? 0 : cut - 1);
        cut = cut == std::string_view::npos ? body.size() : cut + 1;
        std::string_view part = body.substr(0, cut);
        parts.emplace_back(part, line);
        line += static_cast<std::int64_t>(std::count(part.begin(), part.end(), '\n'));
        body.remove_prefix(cut);
    }
    std::vector<ImportBatch> done(parts.size());
    std::vector<std::future<void>> running;
    for (std::size_t i = 1; i < parts.size(); ++i)
        running.push_back(std::async(std::launch::async, [&, i] {
            done[i] = parse_part(parts[i].first, parts[i].second, policy, domain);
        }));
    if (!parts.empty()) done[0] = parse_part(parts[0].first, parts[0].second, policy, domain);
    for (auto& r : running) r.get();
    ImportBatch out;
    for (auto& d : done) {
        out.rows_read += d.rows_read;
        std::move(d.rows.begin(), d.rows.end(), std::back_inserter(out.rows));
        out.lines.insert(out.lines.end(), d.lines.begin(), d.lines.end());
        std::move(d.refusals.begin(), d.refusals.end(), std::back_inserter(out.refusals));
    }
    return out;
}

std::optional<std::map<std::string, std::string, std::less<>>> parse_query(std::string_view target,
                                                                           std::string& bad_name)
{
    std::map<std::string, std::string, std::less<>> out;
    auto q = target.find('?');
    if (q == std::string_view::npos) return out;
    std::string_view query = target.substr(q + 1);
    while (!query.empty()) {
        auto amp = query.find('&');
        std::string_view pair = query.substr(0, amp);
        query.remove_prefix(amp == std::string_view::npos ? query.size() : amp + 1);
        auto eq = pair.find('=');
        std::string name(pair.substr(0, eq));
        auto value = percent_decode(eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1));
        if (!value) {
            bad_name = name;
            return std::nullopt;
        }
        out[name] = std::move(*value);
    }
    return out;
}

bool valid_run_id(std::string_view id)
{
    if (id.empty() || id.size() > 64) return false;
    for (unsigned char c : id)
        if (!std::isalnum(c) && c != '-' && c != '_') return false;
    return true;
}

json import_summary(const ImportBatch& batch, const storage::DirectoryImportResult& result)
{
    std::size_t added = 0, changed = 0, unchanged = 0;
    json refusals = json::array();
    for (const auto& r : batch.refusals) refusals.push_back({{"line", r.line}, {"reason", r.reason}});
    for (std::size_t i = 0; i < result.rows.size(); ++i) {
        switch (result.rows[i].status) {
        case storage::ImportRowStatus::added:
            ++added;
            break;
        case storage::ImportRowStatus::changed:
            ++changed;
            break;
        case storage::ImportRowStatus::unchanged:
            ++unchanged;
            break;
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

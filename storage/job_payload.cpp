#include "storage/job_payload.hpp"

#include <nlohmann/json.hpp>

namespace wl::storage {
namespace {

using nlohmann::json;

std::optional<json> parse_object(const std::string& text)
{
    json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (!j.is_object()) return std::nullopt;
    return j;
}

// Every field is a string; a missing or mistyped one makes the payload unreadable.
bool take(const json& j, const char* key, std::string& out)
{
    auto it = j.find(key);
    if (it == j.end() || !it->is_string()) return false;
    out = it->get<std::string>();
    return true;
}

}  // namespace

std::string encode(const PushPayload& p)
{
    return json{{"item_id", p.item_id},
                {"uri", p.uri},
                {"given_uri", p.given_uri},
                {"scheme", p.scheme},
                {"name", p.name},
                {"jid", p.jid},
                {"state", std::string(to_string(p.state))}}
        .dump();
}

std::string encode(const PartnerQueryPayload& p) { return json{{"uri", p.uri}}.dump(); }

std::string encode(const PartnerRemovePayload& p)
{
    return json{{"uri", p.uri}, {"partner_item_id", p.partner_item_id}}.dump();
}

std::string encode(const PartnerPushPayload& p)
{
    return json{{"request_id", p.request_id}, {"uri", p.uri}, {"jid", p.jid}}.dump();
}

std::optional<PushPayload> decode_push(const std::string& text)
{
    auto j = parse_object(text);
    if (!j) return std::nullopt;
    PushPayload p;
    std::string state;
    if (!take(*j, "item_id", p.item_id) || !take(*j, "uri", p.uri) || !take(*j, "given_uri", p.given_uri) ||
        !take(*j, "scheme", p.scheme) || !take(*j, "name", p.name) || !take(*j, "jid", p.jid) ||
        !take(*j, "state", state))
        return std::nullopt;
    auto s = parse_item_state(state);
    if (!s || *s == ItemState::waiting) return std::nullopt;
    p.state = *s;
    return p;
}

std::optional<PartnerQueryPayload> decode_partner_query(const std::string& text)
{
    auto j = parse_object(text);
    PartnerQueryPayload p;
    if (!j || !take(*j, "uri", p.uri)) return std::nullopt;
    return p;
}

std::optional<PartnerRemovePayload> decode_partner_remove(const std::string& text)
{
    auto j = parse_object(text);
    PartnerRemovePayload p;
    if (!j || !take(*j, "uri", p.uri) || !take(*j, "partner_item_id", p.partner_item_id)) return std::nullopt;
    return p;
}

std::optional<PartnerPushPayload> decode_partner_push(const std::string& text)
{
    auto j = parse_object(text);
    PartnerPushPayload p;
    if (!j || !take(*j, "request_id", p.request_id) || !take(*j, "uri", p.uri) || !take(*j, "jid", p.jid))
        return std::nullopt;
    return p;
}

}  // namespace wl::storage

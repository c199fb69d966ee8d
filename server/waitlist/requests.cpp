#include "server/waitlist/requests.hpp"

#include "proto/codec/waitinglist_request.hpp"
#include "proto/ns.hpp"
#include "server/log.hpp"

namespace wl::server::waitlist {

Element error_reply(const Element& iq, StanzaCondition condition, std::string text)
{
    return proto::make_error_reply(iq, proto::make_stanza_error(condition, std::move(text)));
}

void log_failure(std::string_view what, const std::exception_ptr& error)
{
    try {
        std::rethrow_exception(error);
    } catch (const std::exception& e) {
        spdlog::warn("waitlist: {} failed: {}", what, e.what());
    }
}

Element storage_failure(const Element& iq, const std::exception_ptr& error, proto::StanzaError answer)
{
    log_failure("a database call", error);
    return proto::make_error_reply(iq, std::move(answer));
}

Element result_with(const Element& iq, std::vector<codec::WaitlistItem> items)
{
    Element result = proto::make_result(iq);
    codec::Waitinglist list;
    list.root = codec::WaitlistRoot::query;
    list.items = std::move(items);
    result.add_child(codec::encode(list));
    return result;
}

Element ack_with_id(const Element& iq, std::string id)
{
    codec::WaitlistItem ack;
    ack.id = std::move(id);
    return result_with(iq, {std::move(ack)});
}

Element waitinglist_iq(const proto::Jid& from, const std::string& to, IqType type,
                       std::vector<codec::WaitlistItem> items)
{
    Element iq("iq", std::string(proto::ns::client));
    iq.set_attr("type", proto::name(type));
    iq.set_attr("from", from.bare_str());
    iq.set_attr("to", to);
    codec::Waitinglist list;
    list.root = codec::WaitlistRoot::query;
    list.items = std::move(items);
    iq.add_child(codec::encode(list));
    return iq;
}

codec::WaitlistUri split_uri(const std::string& canonical)
{
    auto colon = canonical.find(':');
    if (colon == std::string::npos) return {"", canonical};
    return {canonical.substr(0, colon), canonical.substr(colon + 1)};
}

std::optional<Element> refuse_malformed(const Element& iq)
{
    if (proto::is_valid_iq(iq)) return std::nullopt;
    return error_reply(iq, StanzaCondition::bad_request, "an IQ needs an id and exactly one child");
}

RequestHandler::Reply RequestHandler::answer(const Iq& iq, const std::string& requester)
{
    try {
        auto read = codec::read_waitlist_request(*proto::iq_type(iq), *proto::iq_payload(iq));
        if (auto* error = std::get_if<proto::StanzaError>(&read)) co_return proto::make_error_reply(iq, *error);
        const auto& request = std::get<codec::WaitlistRequest>(read);
        switch (request.kind) {
        case codec::WaitlistRequest::Kind::retrieve:
            co_return co_await retrieve(iq, requester);
        case codec::WaitlistRequest::Kind::remove:
            co_return co_await remove(iq, requester, request.item);
        case codec::WaitlistRequest::Kind::jid_push:
            co_return co_await jid_push(iq, requester, request.item);
        case codec::WaitlistRequest::Kind::add:
            co_return co_await add(iq, requester, request.item);
        }
    } catch (const std::exception& e) {
        spdlog::error("waitlist: {} request failed: {}", whose(), e.what());
    }
    co_return error_reply(iq, StanzaCondition::internal_server_error);
}

}  // namespace wl::server::waitlist

#include "federation/bounce.hpp"

#include "proto/stanza.hpp"

namespace wl::federation {

proto::StanzaCondition bounce_condition(FailureKind kind)
{
    return kind == FailureKind::timeout ? proto::StanzaCondition::remote_server_timeout
                                        : proto::StanzaCondition::remote_server_not_found;
}

std::optional<proto::xml::Element> make_bounce(const proto::xml::Element& stanza, proto::StanzaCondition condition,
                                               std::string text)
{
    const auto kind = proto::stanza_kind(stanza);
    if (!kind || *kind == proto::StanzaKind::presence) return std::nullopt;
    if (!proto::may_answer_with_error(stanza)) return std::nullopt;
    auto error = proto::make_stanza_error(condition, std::move(text));
    return proto::make_error_reply(stanza, error);
}

}  // namespace wl::federation

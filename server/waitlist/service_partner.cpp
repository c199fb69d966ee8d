// The service towards other domains' services (XEP-0130 §4.2). Only permitted partners may
// use it (DESIGN.md §5); their waitinglist requests, acks and pushes are issue 7.
#include <algorithm>

#include "proto/ns.hpp"
#include "proto/stanza.hpp"
#include "server/log.hpp"
#include "server/waitlist/service.hpp"

namespace wl::server {

using proto::IqType;
using proto::Jid;
using proto::StanzaCondition;
using proto::xml::Element;

bool WaitingListService::is_permitted_partner(const Jid& service) const
{
    return std::any_of(config_.partners.begin(), config_.partners.end(),
                       [&](const PartnerConfig& p) { return p.jid == service.bare_str(); });
}

void WaitingListService::on_partner_stanza(const Element& stanza, const Jid& from)
{
    if (proto::stanza_kind(stanza) != proto::StanzaKind::iq) return;
    auto type = proto::iq_type(stanza);
    if (!type || *type == IqType::result || *type == IqType::error) return;
    if (!proto::is_valid_iq(stanza)) {
        reply(proto::make_error_reply(stanza, proto::make_stanza_error(StanzaCondition::bad_request)));
        return;
    }
    const Element* payload = proto::iq_payload(stanza);
    // A partner discovers our service before using it (§4.2, examples 25-27); anyone may
    // learn what the service is, as with any public service.
    if (payload->is("query", proto::ns::disco_info) && *type == IqType::get) {
        reply(disco_info(stanza));
        return;
    }
    if (!is_permitted_partner(from.bare())) {
        spdlog::info("waitlist: refused a request from {}, which is not a permitted partner", from.domain());
        reply(proto::make_error_reply(stanza, proto::make_stanza_error(StanzaCondition::not_authorized)));
        return;
    }
    reply(proto::make_error_reply(stanza, proto::make_stanza_error(StanzaCondition::service_unavailable,
                                                                   "this provider does not answer partners yet")));
}

}  // namespace wl::server

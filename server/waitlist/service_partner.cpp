// The service towards other domains' services (XEP-0130 §4.2): discovery answers here, the
// waitinglist protocol with the permitted partners in PartnerRole (partner_role.hpp).
#include "proto/ns.hpp"
#include "proto/stanza.hpp"
#include "server/waitlist/partner_role.hpp"
#include "server/waitlist/service.hpp"

namespace wl::server {

using proto::IqType;
using proto::Jid;
using proto::xml::Element;

std::shared_ptr<waitlist::PartnerRole> WaitingListService::make_partner_role()
{
    return waitlist::PartnerRole::create(config_, router_, io_, db_, dispatcher_, jid_, policy_);
}

std::vector<std::string> WaitingListService::reconcile(const std::string& partner)
{
    return partner_->start_reconcile(partner);
}

std::optional<std::string> WaitingListService::partner_service(const std::string& partner) const
{
    return partner_->service_of(partner);
}

void WaitingListService::on_peer_up(const std::string& remote) { partner_->on_peer_up(remote); }

bool WaitingListService::is_permitted_partner(const Jid& service) const { return partner_->is_permitted(service); }

void WaitingListService::on_partner_stanza(const Element& stanza, const Jid& from)
{
    // A partner discovers our service before using it (§4.2, examples 25-27); anyone may
    // learn what the service is, as with any public service.
    if (proto::stanza_kind(stanza) == proto::StanzaKind::iq && proto::iq_type(stanza) == IqType::get &&
        proto::is_valid_iq(stanza) && proto::iq_payload(stanza)->is("query", proto::ns::disco_info)) {
        reply(disco_info(stanza));
        return;
    }
    partner_->on_stanza(stanza, from);
}

}  // namespace wl::server

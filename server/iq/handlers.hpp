#pragma once
// The server's own IQ handlers, one protocol each, registered on the router by
// (namespace, element, IQ type). The router answers whatever none of them takes.
#include "server/config.hpp"
#include "server/router.hpp"

namespace wl::server::iq {

// disco#info and disco#items on the domain (XEP-0030); the items are the services.
void register_disco(Router& router, const Config& config);
// jabber:iq:agents (XEP-0094): the services that name an agent service, as XEP-0130 shows.
void register_agents(Router& router);
// urn:xmpp:ping (XEP-0199), to the domain and to one's own account.
void register_ping(Router& router);
// jabber:iq:version (XEP-0092).
void register_version(Router& router);

// All of the above.
void register_core_handlers(Router& router, const Config& config);

}  // namespace wl::server::iq

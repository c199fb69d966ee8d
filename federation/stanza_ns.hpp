#pragma once
// Stanzas travel as jabber:client inside the server and as jabber:server between servers
// (RFC 6120 §4.8.3). The namespace is rewritten at the federation boundary, for the stanza
// and every descendant in the same namespace (<body/>, <error/>, ...); other payload
// namespaces are left untouched.
#include <string_view>

#include "proto/xml/element.hpp"

namespace wl::federation {

proto::xml::Element with_stanza_ns(const proto::xml::Element& stanza, std::string_view from_ns, std::string_view to_ns);

}  // namespace wl::federation

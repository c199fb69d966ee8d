#pragma once
// Where a new waiting list item's URI should be looked up: here (waitlist.serves) or at
// which InteropPartners ([[partners]] serves). Pure: configuration in, storage plan out.
//
// waitlist.serves lists, per scheme, the E.164 prefixes and mail domains this provider
// serves. An empty (or absent) list for a scheme means this provider serves no URI of that
// scheme: such URIs go to the partners, and with no partner configured the user gets the
// "cannot find this contact" push at once. A provider whose users are all its own lists
// its prefixes (e.g. tel = ["+1"]) and domains.
//
// A URI served here is never sent to partners. Otherwise a partner is asked when its own
// serves list matches the URI, or when it declares no serves at all (docs/configuration.md,
// [[partners]] serves: none means any URI not served here).
#include "proto/contact_uri.hpp"
#include "server/config.hpp"
#include "storage/types.hpp"

namespace wl::server::waitlist {

bool is_served_here(const WaitlistConfig& config, const proto::ContactUri& uri);

storage::ItemPlan plan_item(const WaitlistConfig& config, const std::vector<PartnerConfig>& partners,
                            const proto::ContactUri& uri);

// The parsing policy of the configuration (schemes, default region).
proto::UriPolicy uri_policy(const WaitlistConfig& config);

}  // namespace wl::server::waitlist

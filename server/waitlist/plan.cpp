#include "server/waitlist/plan.hpp"

namespace wl::server::waitlist {

namespace {

bool serves_match(const Serves& serves, const proto::ContactUri& uri)
{
    auto it = serves.find(std::string(proto::scheme_name(uri.scheme)));
    return it != serves.end() && proto::matches_served(uri, it->second);
}

bool declares_nothing(const Serves& serves)
{
    for (const auto& [scheme, entries] : serves)
        if (!entries.empty()) return false;
    return true;
}

}  // namespace

bool is_served_here(const WaitlistConfig& config, const proto::ContactUri& uri)
{
    return serves_match(config.serves, uri);
}

storage::ItemPlan plan_item(const WaitlistConfig& config, const std::vector<PartnerConfig>& partners,
                            const proto::ContactUri& uri)
{
    storage::ItemPlan plan;
    plan.served_here = is_served_here(config, uri);
    if (plan.served_here) return plan;
    for (const auto& partner : partners)
        if (declares_nothing(partner.serves) || serves_match(partner.serves, uri))
            plan.partners.push_back(partner.key());
    return plan;
}

proto::UriPolicy uri_policy(const WaitlistConfig& config)
{
    proto::UriPolicy policy;
    policy.default_region = config.default_region;
    policy.schemes = config.schemes;
    return policy;
}

}  // namespace wl::server::waitlist

#include "proto/ns.hpp"
#include "server/iq/handlers.hpp"

#ifndef WAITLISTD_VERSION
#define WAITLISTD_VERSION "0"
#endif

namespace wl::server::iq {

void register_version(Router& router)
{
    router.add_iq_handler(IqTarget::domain, std::string(proto::ns::version), "query", proto::IqType::get,
                          [&router](const proto::xml::Element& iq) {
                              auto result = proto::make_result(iq);
                              auto& query = result.add_child("query", std::string(proto::ns::version));
                              query.add_child("name", std::string(proto::ns::version)).add_text("waitlistd");
                              query.add_child("version", std::string(proto::ns::version)).add_text(WAITLISTD_VERSION);
                              // No <os/>: it tells an attacker more than it tells a user.
                              router.route(std::move(result));
                          });
}

}  // namespace wl::server::iq

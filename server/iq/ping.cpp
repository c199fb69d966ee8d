#include "proto/ns.hpp"
#include "server/iq/handlers.hpp"

namespace wl::server::iq {

void register_ping(Router& router)
{
    auto pong = [&router](const proto::xml::Element& iq) { router.route(proto::make_result(iq)); };
    router.add_iq_handler(IqTarget::domain, std::string(proto::ns::ping), "ping", proto::IqType::get, pong);
    router.add_iq_handler(IqTarget::account, std::string(proto::ns::ping), "ping", proto::IqType::get, pong);
}

}  // namespace wl::server::iq

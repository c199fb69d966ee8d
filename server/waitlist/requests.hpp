#pragma once
// One way for both roles of the service to read a waitinglist IQ and to build its replies:
// a local user's request (ServiceProvider, §4.1) and a partner's (InteropPartner, §4.2)
// are decoded and checked alike (proto/codec/waitinglist_request.hpp), every error echoes
// the request's <query/>, and a result carries the items in a <query/> of its own.
#include <utility>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>

#include <exception>
#include <string>
#include <string_view>
#include <vector>

#include "proto/codec/waitinglist.hpp"
#include "proto/contact_uri.hpp"
#include "proto/error.hpp"
#include "proto/jid.hpp"
#include "proto/stanza.hpp"
#include "proto/xml/element.hpp"

namespace wl::server {
class JobDispatcher;
class Router;
struct Config;
}  // namespace wl::server

namespace wl::storage {
class DbExecutor;
}

namespace wl::server::waitlist {

// The names every file of the service uses.
namespace asio = boost::asio;
namespace codec = proto::codec;
using proto::IqType;
using proto::Jid;
using proto::StanzaCondition;
using proto::xml::Element;

// What every role of the service works with.
struct ServiceContext {
    const Config& config;
    Router& router;
    boost::asio::io_context& io;
    storage::DbExecutor& db;
    JobDispatcher& dispatcher;
    proto::Jid service;  // the service's own JID
    proto::UriPolicy policy;
};

proto::xml::Element error_reply(const proto::xml::Element& iq, proto::StanzaCondition condition, std::string text = {});
// Our database failed: logs why, and answers `answer` (the requester should try again later).
proto::xml::Element storage_failure(const proto::xml::Element& iq, const std::exception_ptr& error,
                                    proto::StanzaError answer);
proto::xml::Element result_with(const proto::xml::Element& iq, std::vector<proto::codec::WaitlistItem> items);
// A result acknowledging one item by its id (examples 31 and 19).
proto::xml::Element ack_with_id(const proto::xml::Element& iq, std::string id);
// An IQ of ours to another service: <query xmlns='urn:xmpp:waitinglist'/> with `items`.
proto::xml::Element waitinglist_iq(const proto::Jid& from, const std::string& to, proto::IqType type,
                                   std::vector<proto::codec::WaitlistItem> items);
// "tel:+13035550100" -> <uri scheme='tel'>+13035550100</uri>, as the XEP's examples carry it.
proto::codec::WaitlistUri split_uri(const std::string& canonical);
void log_failure(std::string_view what, const std::exception_ptr& error);

// An IQ-get or -set to the service that it can answer at all: bad-request when it has no id
// or not exactly one child, nullopt when it may go on.
std::optional<proto::xml::Element> refuse_malformed(const proto::xml::Element& iq);

// What a role does with each kind of waitinglist request; `requester` is the owner's bare
// JID (a user) or the requesting service (a partner). Arguments by reference: see
// federation/async/await_answer.hpp.
class RequestHandler {
public:
    using Iq = proto::xml::Element;
    using Item = proto::codec::WaitlistItem;
    using Reply = boost::asio::awaitable<proto::xml::Element>;

    // The reply to one waitinglist IQ-get or -set (already checked by refuse_malformed);
    // never throws: a failure inside becomes internal-server-error.
    Reply answer(const Iq& iq, const std::string& requester);

protected:
    ~RequestHandler() = default;
    virtual Reply retrieve(const Iq& iq, const std::string& requester) = 0;
    virtual Reply add(const Iq& iq, const std::string& requester, const Item& item) = 0;
    virtual Reply remove(const Iq& iq, const std::string& requester, const Item& item) = 0;
    virtual Reply jid_push(const Iq& iq, const std::string& requester, const Item& item) = 0;
    // For the log line when a request fails inside: "a user's" or "a partner's".
    virtual std::string_view whose() const = 0;
};

}  // namespace wl::server::waitlist

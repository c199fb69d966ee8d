#include <doctest.h>

#include <algorithm>

#include "proto/ns.hpp"
#include "server/router.hpp"

using namespace wl::server;
using wl::proto::Jid;
using wl::proto::StreamCondition;
using wl::proto::xml::Element;

namespace {

// A bound session as the router sees it, recording what it is given.
class RecordingSession : public LocalSession {
public:
    RecordingSession(std::string jid, bool available = true, int priority = 0)
        : jid_(*Jid::parse(jid)),
          available_(available),
          priority_(priority)
    {
    }
    const Jid& jid() const override { return jid_; }
    bool deliver(std::shared_ptr<const Element> stanza) override
    {
        received.push_back(*stanza);
        return true;
    }
    void close(StreamCondition condition, std::string) override { closed_with = condition; }
    bool is_available() const override { return available_; }
    int priority() const override { return priority_; }

    std::vector<Element> received;
    std::optional<StreamCondition> closed_with;

private:
    Jid jid_;
    bool available_;
    int priority_;
};

Element stanza(std::string name, std::string from, std::string to, std::string type = {})
{
    Element el(std::move(name), std::string(wl::proto::ns::client));
    if (!from.empty()) el.set_attr("from", from);
    if (!to.empty()) el.set_attr("to", to);
    if (!type.empty()) el.set_attr("type", type);
    el.set_attr("id", "s1");
    return el;
}

Element iq(std::string from, std::string to, std::string type, std::string ns, std::string payload = "query")
{
    Element el = stanza("iq", std::move(from), std::move(to), std::move(type));
    el.add_child(std::move(payload), std::move(ns));
    return el;
}

std::string error_condition(const Element& el)
{
    const Element* error = el.child("error", wl::proto::ns::client);
    if (!error) return {};
    const Element* cond = error->child("", wl::proto::ns::stanzas_err);
    return cond ? cond->name() : std::string{};
}

struct Fixture {
    Router router{*Jid::parse("example.test")};
    std::shared_ptr<RecordingSession> add(std::string jid, bool available = true, int priority = 0)
    {
        auto s = std::make_shared<RecordingSession>(std::move(jid), available, priority);
        CHECK_FALSE(router.bind(s));
        return s;
    }
};

}  // namespace

TEST_CASE_FIXTURE(Fixture, "a message to a bare JID reaches only the available resources of highest priority")
{
    auto low = add("bob@example.test/low", true, 1);
    auto high = add("bob@example.test/high", true, 5);
    auto away = add("bob@example.test/offline", false, 10);
    auto negative = add("bob@example.test/neg", true, -1);
    router.route(stanza("message", "alice@example.test/a", "bob@example.test", "chat"));
    CHECK(high->received.size() == 1);
    CHECK(low->received.empty());
    CHECK(away->received.empty());
    CHECK(negative->received.empty());
}

TEST_CASE_FIXTURE(Fixture, "a message to a full JID reaches that resource even when another has higher priority")
{
    auto low = add("bob@example.test/low", true, 1);
    auto high = add("bob@example.test/high", true, 5);
    router.route(stanza("message", "alice@example.test/a", "bob@example.test/low", "chat"));
    CHECK(low->received.size() == 1);
    CHECK(high->received.empty());
}

TEST_CASE_FIXTURE(Fixture,
                  "a chat message to a user without sessions bounces with service-unavailable, a headline does not")
{
    auto alice = add("alice@example.test/a");
    router.route(stanza("message", "alice@example.test/a", "bob@example.test", "chat"));
    REQUIRE(alice->received.size() == 1);
    CHECK(alice->received[0].attr_or("type") == "error");
    CHECK(error_condition(alice->received[0]) == "service-unavailable");
    router.route(stanza("message", "alice@example.test/a", "bob@example.test", "headline"));
    CHECK(alice->received.size() == 1);
}

TEST_CASE_FIXTURE(Fixture, "presence without 'to' goes to every available resource of the sender, itself included")
{
    auto a1 = add("alice@example.test/1");
    auto a2 = add("alice@example.test/2");
    auto bob = add("bob@example.test/b");
    router.route(stanza("presence", "alice@example.test/1", ""));
    CHECK(a1->received.size() == 1);
    CHECK(a2->received.size() == 1);
    CHECK(bob->received.empty());
}

TEST_CASE_FIXTURE(Fixture, "an IQ get to the domain that no handler takes gets service-unavailable from the router")
{
    auto alice = add("alice@example.test/a");
    router.route(iq("alice@example.test/a", "example.test", "get", "urn:example:unknown"));
    REQUIRE(alice->received.size() == 1);
    CHECK(alice->received[0].attr_or("type") == "error");
    CHECK(alice->received[0].attr_or("from") == "example.test");
    CHECK(error_condition(alice->received[0]) == "service-unavailable");
}

TEST_CASE_FIXTURE(Fixture, "IQ results and errors are never answered with errors")
{
    auto alice = add("alice@example.test/a");
    Element result = stanza("iq", "alice@example.test/a", "example.test", "result");
    router.route(result);
    router.route(stanza("iq", "alice@example.test/a", "bob@example.test/gone", "result"));
    router.route(stanza("iq", "alice@example.test/a", "bob@example.test/gone", "error"));
    CHECK(alice->received.empty());
}

TEST_CASE_FIXTURE(Fixture, "handlers are chosen by target, namespace, element and IQ type")
{
    auto alice = add("alice@example.test/a");
    int domain_calls = 0, account_calls = 0;
    router.add_iq_handler(IqTarget::domain, "urn:xmpp:ping", "ping", wl::proto::IqType::get,
                          [&](const Element&) { ++domain_calls; });
    router.add_iq_handler(IqTarget::account, "urn:xmpp:ping", "ping", wl::proto::IqType::get,
                          [&](const Element&) { ++account_calls; });
    router.route(iq("alice@example.test/a", "example.test", "get", "urn:xmpp:ping", "ping"));
    router.route(iq("alice@example.test/a", "", "get", "urn:xmpp:ping", "ping"));
    router.route(iq("alice@example.test/a", "bob@example.test", "get", "urn:xmpp:ping", "ping"));
    CHECK(domain_calls == 1);
    CHECK(account_calls == 2);
    CHECK(alice->received.empty());
    router.route(iq("alice@example.test/a", "example.test", "set", "urn:xmpp:ping", "ping"));
    REQUIRE(alice->received.size() == 1);
    CHECK(error_condition(alice->received[0]) == "service-unavailable");
}

TEST_CASE_FIXTURE(Fixture, "an IQ to a full JID without a session gets service-unavailable")
{
    auto alice = add("alice@example.test/a");
    router.route(iq("alice@example.test/a", "bob@example.test/x", "get", "urn:xmpp:ping", "ping"));
    REQUIRE(alice->received.size() == 1);
    CHECK(error_condition(alice->received[0]) == "service-unavailable");
}

TEST_CASE_FIXTURE(Fixture, "a service receives every stanza for its domain, whatever the node or resource")
{
    std::vector<std::string> seen;
    router.add_service({*Jid::parse("waitlist.example.test"), "Waiting List Service", "waitinglist",
                        [&](const Element& el) { seen.push_back(el.attr_or("to")); }});
    router.route(iq("alice@example.test/a", "waitlist.example.test", "get", "http://jabber.org/protocol/waitinglist"));
    router.route(stanza("message", "alice@example.test/a", "x@waitlist.example.test/r"));
    CHECK(seen == std::vector<std::string>{"waitlist.example.test", "x@waitlist.example.test/r"});
    CHECK(router.is_local_domain("waitlist.example.test"));
    CHECK_FALSE(router.is_local_domain("other.test"));
}

TEST_CASE_FIXTURE(Fixture,
                  "stanzas for other domains bounce with remote-server-not-found until federation handles them")
{
    auto alice = add("alice@example.test/a");
    router.route(stanza("message", "alice@example.test/a", "juliet@other.test", "chat"));
    REQUIRE(alice->received.size() == 1);
    CHECK(error_condition(alice->received[0]) == "remote-server-not-found");
    std::vector<std::string> remote;
    router.set_remote_handler([&](const Element& el) { remote.push_back(el.attr_or("to")); });
    router.route(stanza("message", "alice@example.test/a", "juliet@other.test", "chat"));
    CHECK(remote == std::vector<std::string>{"juliet@other.test"});
}

TEST_CASE_FIXTURE(Fixture, "binding a full JID in use returns the old session, which no longer receives")
{
    auto old_session = add("bob@example.test/same");
    auto new_session = std::make_shared<RecordingSession>("bob@example.test/same");
    CHECK(router.bind(new_session) == old_session);
    router.route(stanza("message", "alice@example.test/a", "bob@example.test/same", "chat"));
    CHECK(old_session->received.empty());
    CHECK(new_session->received.size() == 1);
    router.unbind(*old_session);  // the replaced session ending must not remove the new one
    CHECK(router.stats().sessions == 1);
    router.unbind(*new_session);
    CHECK(router.stats().sessions == 0);
    CHECK(router.stats().users == 0);
}

TEST_CASE_FIXTURE(Fixture, "deliver_to_user reports whether any session took the stanza")
{
    auto bob = add("bob@example.test/b");
    auto msg = std::make_shared<const Element>(stanza("message", "waitlist.example.test", "bob@example.test"));
    CHECK(router.deliver_to_user(*Jid::parse("bob@example.test"), msg));
    CHECK(router.deliver_to_user(*Jid::parse("bob@example.test/b"), msg));
    CHECK_FALSE(router.deliver_to_user(*Jid::parse("bob@example.test/other"), msg));
    CHECK_FALSE(router.deliver_to_user(*Jid::parse("carol@example.test"), msg));
    CHECK(bob->received.size() == 2);
}

TEST_CASE_FIXTURE(Fixture, "the available hook hears of every session that became available")
{
    std::vector<std::string> heard;
    router.add_available_hook([&](const Jid& jid) { heard.push_back(jid.full()); });
    router.session_available(*Jid::parse("bob@example.test/b"));
    CHECK(heard == std::vector<std::string>{"bob@example.test/b"});
}

TEST_CASE_FIXTURE(Fixture, "a 'to' that is not a JID gets jid-malformed")
{
    auto alice = add("alice@example.test/a");
    router.route(stanza("message", "alice@example.test/a", "@@bad", "chat"));
    REQUIRE(alice->received.size() == 1);
    CHECK(error_condition(alice->received[0]) == "jid-malformed");
}

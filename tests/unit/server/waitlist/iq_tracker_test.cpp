// IqTracker: one answer per IQ, whichever comes first of the answer and the timeout; a
// bounce from inside send counts; answers from another address match nothing.
#include <utility>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include <doctest.h>

#include <atomic>
#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "proto/jid.hpp"
#include "proto/ns.hpp"
#include "proto/stanza.hpp"
#include "server/waitlist/iq_tracker.hpp"

namespace asio = boost::asio;
using namespace std::chrono_literals;
using wl::proto::Jid;
using wl::proto::xml::Element;
using wl::server::waitlist::IqTracker;

namespace {

Element get_iq(const std::string& to)
{
    Element iq("iq", std::string(wl::proto::ns::client));
    iq.set_attr("type", "get");
    iq.set_attr("from", "waitlist.sp.example");
    iq.set_attr("to", to);
    iq.add_child(Element("query", std::string(wl::proto::ns::disco_info)));
    return iq;
}

}  // namespace

TEST_CASE("an IQ nobody answers is reported once, as silence, after the timeout")
{
    asio::io_context io;
    std::vector<Element> sent;
    auto tracker = IqTracker::create(io, 50ms, [&](Element iq) { sent.push_back(std::move(iq)); });
    int calls = 0;
    std::optional<IqTracker::Answer> got;
    const auto start = std::chrono::steady_clock::now();
    tracker->send("partner.example", get_iq("partner.example"), [&](IqTracker::Answer a) {
        ++calls;
        got = std::move(a);
    });
    REQUIRE(sent.size() == 1);
    CHECK_FALSE(sent[0].attr_or("id").empty());
    io.run();
    CHECK(calls == 1);
    REQUIRE(got);
    CHECK_FALSE(got->has_value());
    CHECK(std::chrono::steady_clock::now() - start >= 50ms);
    // A late answer matches nothing any more.
    Element late = wl::proto::make_result(sent[0]);
    CHECK_FALSE(tracker->on_answer(late, *Jid::parse("partner.example")));
    CHECK(calls == 1);
}

TEST_CASE("a bounce routed back from inside send answers the awaited IQ at once")
{
    asio::io_context io;
    std::shared_ptr<IqTracker> tracker;
    tracker = IqTracker::create(io, 10s, [&](Element iq) {
        // What the router does for a domain it cannot reach: the error comes back from the
        // addressee, before route() returns.
        Element bounce = wl::proto::make_error_reply(iq, wl::proto::make_stanza_error(
                                                             wl::proto::StanzaCondition::remote_server_not_found));
        bounce.set_attr("from", iq.attr_or("to"));
        tracker->on_answer(bounce, *Jid::parse(iq.attr_or("to")));
    });
    std::optional<IqTracker::Answer> got;
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
            Element iq = get_iq("gone.example");
            got = co_await tracker->request("gone.example", iq);
        },
        asio::detached);
    const auto start = std::chrono::steady_clock::now();
    io.run();
    CHECK(std::chrono::steady_clock::now() - start < 5s);  // not the 10 s timeout
    REQUIRE(got);
    REQUIRE(got->has_value());
    CHECK((*got)->attr_or("type") == "error");
}

TEST_CASE("an answer from another address than the one asked is ignored; the right one is taken")
{
    asio::io_context io;
    std::vector<Element> sent;
    auto tracker = IqTracker::create(io, 10s, [&](Element iq) { sent.push_back(std::move(iq)); });
    int calls = 0;
    std::optional<Element> answer;
    tracker->send("waitlist.partner.example", get_iq("waitlist.partner.example"), [&](IqTracker::Answer a) {
        ++calls;
        answer = std::move(a);
    });
    REQUIRE(sent.size() == 1);
    Element forged = wl::proto::make_result(sent[0]);
    CHECK_FALSE(tracker->on_answer(forged, *Jid::parse("mallory.example")));
    CHECK(calls == 0);
    Element real = wl::proto::make_result(sent[0]);
    CHECK(tracker->on_answer(real, *Jid::parse("waitlist.partner.example/ignored")));
    CHECK(calls == 1);
    CHECK_FALSE(tracker->on_answer(real, *Jid::parse("waitlist.partner.example")));  // once only
    io.run();  // the cancelled timer fires nothing
    CHECK(calls == 1);
    REQUIRE(answer);
}

#include <doctest.h>

#include <string>

#include "proto/codec/waitinglist_request.hpp"
#include "xml_fixture.hpp"

using namespace wl::proto;
using namespace wl::proto::codec;
using wl::test::parse_payload;

namespace {

const std::string wl_ns = "http://jabber.org/protocol/waitinglist";

std::variant<WaitlistRequest, StanzaError> read(IqType type, const std::string& root, const std::string& inner)
{
    return read_waitlist_request(type,
                                 parse_payload("<" + root + " xmlns='" + wl_ns + "'>" + inner + "</" + root + ">"));
}

WaitlistRequest::Kind kind_of(const std::variant<WaitlistRequest, StanzaError>& r)
{
    REQUIRE(std::holds_alternative<WaitlistRequest>(r));
    return std::get<WaitlistRequest>(r).kind;
}

std::string refusal(const std::variant<WaitlistRequest, StanzaError>& r)
{
    REQUIRE(std::holds_alternative<StanzaError>(r));
    const auto& e = std::get<StanzaError>(r);
    CHECK(e.condition == StanzaCondition::bad_request);
    return e.text;
}

}  // namespace

TEST_CASE("a get with an empty query is a retrieve, a set with one item an add, a remove or a JID push")
{
    CHECK(kind_of(read(IqType::get, "query", "")) == WaitlistRequest::Kind::retrieve);
    auto add = read(IqType::set, "query", "<item><uri scheme='tel'>+13035550100</uri></item>");
    CHECK(kind_of(add) == WaitlistRequest::Kind::add);
    CHECK(std::get<WaitlistRequest>(add).item.uri->value == "+13035550100");
    CHECK(kind_of(read(IqType::set, "query", "<item id='7'><remove/></item>")) == WaitlistRequest::Kind::remove);
    CHECK(kind_of(read(IqType::set, "query", "<item id='7' jid='c@p.test'><uri scheme='tel'>+331</uri></item>")) ==
          WaitlistRequest::Kind::jid_push);
}

TEST_CASE("a wrong shape is a bad-request with the sentence the service answers")
{
    CHECK(refusal(read(IqType::get, "waitlist", "")) == "an IQ carries <query/>, not <waitlist/>");
    CHECK(refusal(read(IqType::get, "query", "<item id='1'><remove/></item>")) ==
          "a retrieve carries an empty <query/>");
    CHECK(refusal(read(IqType::set, "query", "")) == "a set carries exactly one <item/>");
    CHECK(refusal(read(IqType::set, "query", "<item id='1'><remove/></item><item id='2'><remove/></item>")) ==
          "a set carries exactly one <item/>");
    // A decode error comes first, with the codec's own sentence naming the tag.
    CHECK_FALSE(refusal(read(IqType::set, "query", "<item><uri>+1</uri></item>")).empty());
}

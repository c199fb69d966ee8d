#include "tests/bench/c2s/client_session.hpp"

#include "proto/base64.hpp"
#include "proto/ns.hpp"

#include <algorithm>
#include <array>
#include <optional>
#include <string_view>
#include <utility>

namespace wl::bench {

namespace xml = proto::xml;
namespace ns = proto::ns;

namespace {

// Every session of a thread reads into this buffer and feeds the parser before it next
// suspends, so one buffer per io thread serves them all (a per-session buffer would be
// 10 000 x 16 KiB of client memory).
thread_local std::array<char, 16384> read_buffer;

const xml::WriteContext& client_context()
{
    static const xml::WriteContext ctx{std::string(ns::client), {{"stream", std::string(ns::stream)}}};
    return ctx;
}

std::string describe(const xml::Element& e)
{
    std::string text = "<" + e.name();
    if (const auto* type = e.attr("type")) text += " type='" + *type + "'";
    text += " xmlns='" + e.ns() + "'>";
    if (const auto* first = e.first_child_element()) text += " <" + first->name() + "/>";
    return text;
}

std::string base64_text(const xml::Element& e, const char* step)
{
    std::string text = e.text();
    if (text == "=") text.clear();
    auto decoded = proto::base64_decode(text);
    if (!decoded) throw SessionError(std::string(step) + ": payload is not base64");
    return *decoded;
}

xml::Element sasl_element(const char* name, std::string_view payload)
{
    xml::Element e(name, std::string(ns::sasl));
    if (!payload.empty()) e.add_text(proto::base64_encode(payload));
    return e;
}

}  // namespace

ClientSession::ClientSession(asio::io_context& io, const SessionSettings& settings, std::string username)
    : settings_(settings),
      username_(std::move(username)),
      connection_(io)
{
}

bool ClientSession::expire_if_due(Clock::time_point now) noexcept
{
    if (now < deadline_ || !connection_.is_open()) return false;
    timed_out_ = true;
    connection_.abort();
    return true;
}

asio::awaitable<void> ClientSession::send(const xml::Element& stanza)
{
    co_await connection_.write(xml::serialize(stanza, client_context()));
}

asio::awaitable<xml::StreamEvent> ClientSession::next_event()
{
    for (;;) {
        if (auto event = parser_.next()) co_return std::move(*event);
        std::size_t n = co_await connection_.read_some(read_buffer.data(), read_buffer.size());
        if (n == 0) throw SessionError("server closed the connection");
        if (auto error = parser_.feed(std::string_view(read_buffer.data(), n))) {
            std::string chunk(read_buffer.data(), std::min<std::size_t>(n, 160));
            throw SessionError("server sent bad XML: " + error->condition + " " + error->text + " in [" + chunk + "]");
        }
    }
}

asio::awaitable<xml::Element> ClientSession::next_stanza()
{
    auto event = co_await next_event();
    if (event.kind == xml::StreamEvent::Kind::close) throw SessionError("server closed the stream");
    if (event.kind == xml::StreamEvent::Kind::open) throw SessionError("unexpected second stream header");
    if (event.element.is("error", ns::stream)) {
        const auto* condition = event.element.child({}, ns::streams_err);
        throw SessionError("stream error: " + (condition ? condition->name() : std::string("(none)")));
    }
    co_return std::move(event.element);
}

asio::awaitable<void> ClientSession::open_stream()
{
    xml::Element header("stream", std::string(ns::stream));
    header.set_attr("to", settings_.domain);
    header.set_attr("version", "1.0");
    co_await connection_.write(xml::open_stream_tag(header, client_context()));
    auto event = co_await next_event();
    if (event.kind != xml::StreamEvent::Kind::open) throw SessionError("expected a stream header");
}

asio::awaitable<void> ClientSession::login()
{
    co_await connection_.connect(settings_.server);
    co_await open_stream();
    auto features = co_await next_stanza();
    if (!features.is("features", ns::stream)) throw SessionError("expected features, got " + describe(features));
    if (!features.child("starttls", ns::tls)) throw SessionError("server offers no STARTTLS");

    co_await send(xml::Element("starttls", std::string(ns::tls)));
    auto proceed = co_await next_stanza();
    if (!proceed.is("proceed", ns::tls)) throw SessionError("STARTTLS refused: " + describe(proceed));
    co_await connection_.start_tls(settings_.tls, settings_.domain);

    parser_.reset();
    co_await open_stream();
    features = co_await next_stanza();
    if (!features.is("features", ns::stream)) throw SessionError("expected features after TLS");
    co_await authenticate(features);

    parser_.reset();
    co_await open_stream();
    features = co_await next_stanza();
    if (!features.is("features", ns::stream)) throw SessionError("expected features after SASL");
    co_await bind(features);

    if (settings_.send_presence) co_await send(xml::Element("presence", std::string(ns::client)));
}

asio::awaitable<void> ClientSession::authenticate(const xml::Element& features)
{
    const auto mechanism = proto::sasl::scram_mechanism_name(settings_.mechanism);
    const auto* mechanisms = features.child("mechanisms", ns::sasl);
    bool offered = false;
    if (mechanisms)
        for (const auto* m : mechanisms->children("mechanism", ns::sasl)) offered = offered || m->text() == mechanism;
    if (!offered) throw SessionError("server does not offer " + std::string(mechanism));

    auto scram = proto::sasl::ScramClient::create(settings_.mechanism, username_, settings_.password);
    if (!scram) throw SessionError("SASLprep refused the username or password");

    auto auth = sasl_element("auth", scram->client_first());
    auth.set_attr("mechanism", mechanism);
    co_await send(auth);

    auto challenge = co_await next_stanza();
    if (!challenge.is("challenge", ns::sasl))
        throw SessionError("SASL: expected challenge, got " + describe(challenge));
    if (auto failure = scram->receive_server_first(base64_text(challenge, "server-first")))
        throw SessionError("SASL: bad server-first-message");
    co_await send(sasl_element("response", scram->client_final()));

    auto outcome = co_await next_stanza();
    // RFC 6120 allows the server-final-message in a last challenge answered by an empty response.
    if (outcome.is("challenge", ns::sasl)) {
        if (!scram->verify_server_final(base64_text(outcome, "server-final")))
            throw SessionError("SASL: server signature does not verify");
        co_await send(sasl_element("response", {}));
        outcome = co_await next_stanza();
        if (!outcome.is("success", ns::sasl)) throw SessionError("SASL: expected success, got " + describe(outcome));
        co_return;
    }
    if (!outcome.is("success", ns::sasl)) throw SessionError("SASL: " + describe(outcome));
    if (!scram->verify_server_final(base64_text(outcome, "server-final")))
        throw SessionError("SASL: server signature does not verify");
}

asio::awaitable<xml::Element> ClientSession::iq_round_trip(xml::Element& iq, const char* step)
{
    const std::string id = std::string(step) + std::to_string(++next_id_);
    iq.set_attr("id", id);
    co_await send(iq);
    for (;;) {
        auto reply = co_await next_stanza();
        if (!reply.is("iq", ns::client) || reply.attr_or("id") != id) continue;
        if (reply.attr_or("type") != "result") throw SessionError(std::string(step) + ": " + describe(reply));
        co_return reply;
    }
}

asio::awaitable<void> ClientSession::bind(const xml::Element& features)
{
    if (!features.child("bind", ns::bind)) throw SessionError("server offers no resource binding");
    xml::Element iq("iq", std::string(ns::client));
    iq.set_attr("type", "set");
    iq.add_child("bind", std::string(ns::bind))
        .add_child("resource", std::string(ns::bind))
        .add_text(settings_.resource);
    co_await iq_round_trip(iq, "bind");

    // RFC 3921 session establishment, only for servers that still demand it.
    if (const auto* session = features.child("session", ns::session);
        session && !session->child("optional", ns::session)) {
        xml::Element s("iq", std::string(ns::client));
        s.set_attr("type", "set");
        s.add_child("session", std::string(ns::session));
        co_await iq_round_trip(s, "session");
    }
}

asio::awaitable<void> ClientSession::ping()
{
    xml::Element iq("iq", std::string(ns::client));
    iq.set_attr("type", "get");
    iq.set_attr("to", settings_.domain);
    iq.add_child("ping", std::string(ns::ping));
    co_await iq_round_trip(iq, "p");
}

asio::awaitable<xml::Element> ClientSession::request(xml::Element& iq) { co_return co_await iq_round_trip(iq, "q"); }

asio::awaitable<xml::Element> ClientSession::receive() { co_return co_await next_stanza(); }

asio::awaitable<void> ClientSession::close_stream()
{
    if (!connection_.is_open()) co_return;
    co_await connection_.write(xml::close_stream_tag());
    connection_.abort();
}

}  // namespace wl::bench

// Throughput of StreamParser on a stream of XEP-0130 stanzas, beside expat's own speed on the
// same bytes with callbacks that do nothing: the ceiling of a design built on expat.
// Usage: bench_parser [megabytes=50] [chunk_bytes=16384] [rounds=3]
#include <expat.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "proto/xml/stream_parser.hpp"
#include "proto/xml/writer.hpp"

using namespace wl::proto::xml;

namespace {

// The shapes of XEP-0130's IQs and messages (§3-§6), with ids and values that vary so that no
// two stanzas are byte-identical.
std::string stanza(std::size_t i)
{
    const std::string n = std::to_string(i);
    switch (i % 6) {
    case 0:
        return "<iq type='set' from='user@service-provider.com/resource' to='waitlist.service-provider.com' id='wl" +
               n + "'><query xmlns='http://jabber.org/protocol/waitinglist'><item><uri scheme='tel'>+1303555" +
               std::to_string(1000 + i % 9000) + "</uri><name>contact-" + n +
               "</name></item><item><uri scheme='mailto'>c" + n +
               "@example.com</uri><name>Jos\xC3\xA9 &amp; friends</name></item></query></iq>";
    case 1:
        return "<iq type='result' from='waitlist.service-provider.com' to='user@service-provider.com/resource' id='wl" +
               n + "'><query xmlns='http://jabber.org/protocol/waitinglist'><item id='" + n +
               "' jid='contact@service-provider.com' type='add'><uri scheme='tel'>+13035551212</uri>"
               "<name>contact-name</name></item></query></iq>";
    case 2:
        return "<message from='waitlist.service-provider.com' to='user@service-provider.com' id='push" + n +
               "'><waitlist xmlns='http://jabber.org/protocol/waitinglist'><item id='" + n + "' jid='contact" + n +
               "@service-provider.com' type='add'><uri scheme='mailto'>contact" + n +
               "@service-provider.com</uri><name>contact-name</name></item></waitlist></message>";
    case 3:
        return "<iq type='result' from='waitlist.service-provider.com' to='user@service-provider.com/resource' "
               "id='disco" +
               n +
               "'><query xmlns='http://jabber.org/protocol/disco#info'><identity category='directory' "
               "type='waitinglist'/>"
               "<feature var='http://jabber.org/protocol/waitinglist'/>"
               "<feature var='http://jabber.org/protocol/waitinglist/schemes/mailto'/>"
               "<feature var='http://jabber.org/protocol/waitinglist/schemes/tel'/></query></iq>";
    case 4:
        return "<iq type='error' from='waitlist.service-provider.com' to='user@service-provider.com/resource' id='wl" +
               n +
               "'><query xmlns='http://jabber.org/protocol/waitinglist'><item><uri scheme='tel'>+1234563033083283</uri>"
               "<name>contact-name</name></item></query><error code='406' type='modify'>"
               "<not-acceptable xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>";
    default:
        return "<iq type='set' from='user@service-provider.com/resource' to='waitlist.service-provider.com' id='rm" +
               n + "'><query xmlns='http://jabber.org/protocol/waitinglist'><item id='" + n +
               "'><remove/></item></query></iq>\n";
    }
}

struct Stream {
    std::string bytes;
    std::size_t stanzas = 0;
};

Stream make_stream(std::size_t megabytes)
{
    Stream s;
    s.bytes =
        "<?xml version='1.0'?><stream:stream xmlns='jabber:client' "
        "xmlns:stream='http://etherx.jabber.org/streams' to='service-provider.com' version='1.0'>";
    const std::size_t target = megabytes << 20;
    s.bytes.reserve(target + 4096);
    while (s.bytes.size() < target) s.bytes += stanza(s.stanzas++);
    s.bytes += "</stream:stream>";
    return s;
}

double seconds_since(std::chrono::steady_clock::time_point t0)
{
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

[[gnu::noinline]] std::size_t run_stream_parser(std::string_view bytes, std::size_t chunk)
{
    StreamParser parser(ParserLimits{1u << 20, 32, 64});
    std::size_t stanzas = 0;
    for (std::size_t at = 0; at < bytes.size(); at += chunk) {
        if (auto err = parser.feed(bytes.substr(at, chunk))) {
            std::fprintf(stderr, "parse error: %s %s\n", err->condition.c_str(), err->text.c_str());
            std::exit(1);
        }
        while (auto ev = parser.next())
            if (ev->kind == StreamEvent::Kind::stanza) ++stanzas;
    }
    return stanzas;
}

// The same expat configuration (namespaces resolved, UTF-8) with handlers that do nothing.
[[gnu::noinline]] std::size_t run_raw_expat(std::string_view bytes, std::size_t chunk)
{
    XML_Parser p = XML_ParserCreateNS("UTF-8", '\x01');
    std::size_t ends = 0;
    XML_SetUserData(p, &ends);
    XML_SetElementHandler(
        p, [](void*, const XML_Char*, const XML_Char**) {},
        [](void* ud, const XML_Char*) { ++*static_cast<std::size_t*>(ud); });
    XML_SetCharacterDataHandler(p, [](void*, const XML_Char*, int) {});
    for (std::size_t at = 0; at < bytes.size(); at += chunk) {
        const std::size_t n = std::min(chunk, bytes.size() - at);
        if (XML_Parse(p, bytes.data() + at, static_cast<int>(n), XML_FALSE) != XML_STATUS_OK) {
            std::fprintf(stderr, "expat error: %s\n", XML_ErrorString(XML_GetErrorCode(p)));
            std::exit(1);
        }
    }
    XML_ParserFree(p);
    return ends;
}

// A long start tag trickled in one byte per read: the shape of a slow-drip attack. Expat
// alone (reparse deferral off, as a chat stream needs) rescans the open tag on every byte.
double trickle_seconds(std::size_t tag_bytes, bool through_stream_parser)
{
    const std::string header = "<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>";
    const std::string body = "<message to='" + std::string(tag_bytes, 'a') + "'/>";
    const auto t0 = std::chrono::steady_clock::now();
    if (through_stream_parser) {
        StreamParser parser(ParserLimits{tag_bytes + 1024, 32, 64});
        parser.feed(header);
        for (char c : body)
            if (parser.feed(std::string_view(&c, 1))) std::exit(1);
        if (!parser.next() || !parser.next()) std::exit(1);
    } else {
        XML_Parser p = XML_ParserCreateNS("UTF-8", '\x01');
#ifdef WL_HAVE_XML_REPARSE_DEFERRAL
        XML_SetReparseDeferralEnabled(p, XML_FALSE);
#endif
        XML_Parse(p, header.data(), static_cast<int>(header.size()), XML_FALSE);
        for (char c : body)
            if (XML_Parse(p, &c, 1, XML_FALSE) != XML_STATUS_OK) std::exit(1);
        XML_ParserFree(p);
    }
    return seconds_since(t0);
}

}  // namespace

int main(int argc, char** argv)
{
    const std::size_t megabytes = argc > 1 ? std::strtoul(argv[1], nullptr, 10) : 50;
    const std::size_t chunk = argc > 2 ? std::strtoul(argv[2], nullptr, 10) : 16384;
    const int rounds = argc > 3 ? std::atoi(argv[3]) : 3;
    const Stream s = make_stream(megabytes);
    const double mb = static_cast<double>(s.bytes.size()) / (1 << 20);
    std::printf("stream: %.1f MB, %zu stanzas (avg %zu bytes), fed in %zu-byte chunks, best of %d\n", mb, s.stanzas,
                s.bytes.size() / s.stanzas, chunk, rounds);

    double best_parser = 1e30, best_expat = 1e30;
    for (int r = 0; r < rounds; ++r) {
        auto t0 = std::chrono::steady_clock::now();
        const std::size_t n = run_stream_parser(s.bytes, chunk);
        best_parser = std::min(best_parser, seconds_since(t0));
        if (n != s.stanzas) {
            std::fprintf(stderr, "StreamParser yielded %zu stanzas, expected %zu\n", n, s.stanzas);
            return 1;
        }
        t0 = std::chrono::steady_clock::now();
        run_raw_expat(s.bytes, chunk);
        best_expat = std::min(best_expat, seconds_since(t0));
    }

    // Serialising what was parsed: the other half of a router's work.
    StreamParser parser(ParserLimits{1u << 20, 32, 64});
    parser.feed(s.bytes);
    std::vector<Element> stanzas;
    stanzas.reserve(s.stanzas);
    while (auto ev = parser.next())
        if (ev->kind == StreamEvent::Kind::stanza) stanzas.push_back(std::move(ev->element));
    const WriteContext ctx{"jabber:client", {{"stream", "http://etherx.jabber.org/streams"}}};
    double best_writer = 1e30;
    std::size_t written = 0;
    for (int r = 0; r < rounds; ++r) {
        std::string out;
        auto t0 = std::chrono::steady_clock::now();
        for (const Element& e : stanzas) {
            out.clear();
            serialize_to(out, e, ctx);
            written += out.size();
        }
        best_writer = std::min(best_writer, seconds_since(t0));
    }
    const double written_mb = static_cast<double>(written) / rounds / (1 << 20);

    std::printf("StreamParser : %8.1f MB/s  %10.0f stanzas/s\n", mb / best_parser, s.stanzas / best_parser);
    std::printf("raw expat    : %8.1f MB/s  %10.0f stanzas/s  (no-op callbacks: the ceiling)\n", mb / best_expat,
                s.stanzas / best_expat);
    std::printf("parser/expat : %8.0f %%\n", 100.0 * best_expat / best_parser);
    std::printf("serialize    : %8.1f MB/s  %10.0f stanzas/s\n", written_mb / best_writer, s.stanzas / best_writer);
    const std::size_t trickle = 16384;
    std::printf("trickle      : a %zu-byte start tag fed 1 byte per call: StreamParser %.3f s, raw expat %.3f s\n",
                trickle, trickle_seconds(trickle, true), trickle_seconds(trickle, false));
    return 0;
}

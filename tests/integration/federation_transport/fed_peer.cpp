// A federation endpoint for interop tests: one Federation instance serving a domain, driven
// over stdin/stdout so that a script can pit it against a real XMPP server.
//
//   fed_peer --domain sp.test --listen 127.0.0.1:35269 --nameserver 127.0.0.1:5353
//            --cert sp.crt --key sp.key --secret S [--ca CA.pem] [--route dom=host:port]...
//
// stdout, one line each: "READY", "RECV <stanza xml>" for every stanza from a remote
// domain, "STATS k=v ..." at exit. It answers XEP-0199 pings addressed to its domain itself.
// stdin, one command a line: "ping TO ID", "message FROM TO ID BODY...", "stats"; EOF stops.
#include <utility>

#include <boost/asio/io_context.hpp>
#include <cstdio>
#include <future>
#include <iostream>
#include <mutex>
#include <sstream>
#include <thread>

#include "federation/federation.hpp"
#include "proto/ns.hpp"
#include "proto/stanza.hpp"
#include "proto/xml/writer.hpp"

using namespace wl::federation;
namespace asio = boost::asio;
namespace xml = wl::proto::xml;
namespace ns = wl::proto::ns;

namespace {

std::mutex out_mutex;
void say(const std::string& line)
{
    std::lock_guard lock(out_mutex);
    std::cout << line << std::endl;
}

std::string stats_line(const FederationStats& s)
{
    std::ostringstream o;
    o << "STATS streams_in=" << s.streams_in << " streams_out=" << s.streams_out << " stanzas_in=" << s.stanzas_in
      << " stanzas_out=" << s.stanzas_out << " bounced=" << s.bounced << " dialback_ok=" << s.dialback_ok
      << " dialback_failed=" << s.dialback_failed << " sasl_external_ok=" << s.sasl_external_ok
      << " rejected_in=" << s.rejected_in;
    return o.str();
}

}  // namespace

int main(int argc, char** argv)
{
    FederationConfig cfg;
    std::string domain;
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string k = argv[i], v = argv[i + 1];
        if (k == "--domain")
            domain = v;
        else if (k == "--listen")
            cfg.listen.push_back(v);
        else if (k == "--nameserver")
            cfg.nameserver = v;
        else if (k == "--cert")
            cfg.tls_cert_file = v;
        else if (k == "--key")
            cfg.tls_key_file = v;
        else if (k == "--ca")
            cfg.tls_ca_file = v;
        else if (k == "--secret")
            cfg.dialback_secret = v;
        else if (k == "--route") {
            auto eq = v.find('=');
            cfg.routes[v.substr(0, eq)] = v.substr(eq + 1);
        } else {
            std::cerr << "unknown option " << k << "\n";
            return 2;
        }
    }
    cfg.local_domains = {domain, "waitlist." + domain};
    cfg.use_system_ca = false;

    boost::asio::io_context io;
    std::unique_ptr<Federation> fed;
    fed = std::make_unique<Federation>(io.get_executor(), cfg, [&](xml::Element stanza) {
        say("RECV " + xml::serialize(stanza));
        if (stanza.name() == "iq" && stanza.attr_or("type") == "get" && stanza.child("ping", ns::ping) &&
            (stanza.attr_or("to") == domain)) {
            fed->send(wl::proto::make_result(stanza));
        }
    });
    fed->start();
    auto work = boost::asio::make_work_guard(io);
    std::thread runner([&] { io.run(); });
    say("READY");

    std::string line;
    while (std::getline(std::cin, line)) {
        std::istringstream in(line);
        std::string cmd;
        in >> cmd;
        if (cmd == "ping") {
            std::string to, id;
            in >> to >> id;
            xml::Element iq("iq", std::string(ns::client));
            iq.set_attr("from", domain);
            iq.set_attr("to", to);
            iq.set_attr("type", "get");
            iq.set_attr("id", id);
            iq.add_child("ping", std::string(ns::ping));
            say(fed->send(iq) ? "SENT " + id : "REFUSED " + id);
        } else if (cmd == "message") {
            std::string from, to, id, body;
            in >> from >> to >> id;
            std::getline(in >> std::ws, body);
            xml::Element m("message", std::string(ns::client));
            m.set_attr("from", from);
            m.set_attr("to", to);
            m.set_attr("id", id);
            m.set_attr("type", "chat");
            m.add_child("body", std::string(ns::client)).add_text(body);
            say(fed->send(m) ? "SENT " + id : "REFUSED " + id);
        } else if (cmd == "stats") {
            say(stats_line(fed->stats()));
        }
    }
    std::promise<void> stopped;
    fed->stop([&] { stopped.set_value(); });
    stopped.get_future().wait_for(std::chrono::seconds(5));
    say(stats_line(fed->stats()));
    fed.reset();
    work.reset();
    io.stop();
    runner.join();
    return 0;
}

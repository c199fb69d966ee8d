#pragma once
// Outgoing streams, one per (local domain, remote domain) pair (RFC 6120 §4.2: each pair is
// authenticated on its own), opened on demand and reused. Stanzas wait in a bounded queue
// while their stream opens; when it cannot be opened they are bounced (bounce.hpp). After a
// failure the pair is in back-off: stanzas for it are bounced at once until the back-off
// ends, and the next stanza after that opens a new stream. A stream that carried nothing
// for idle_timeout is closed.
#include <chrono>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>

#include "federation/async/asio.hpp"
#include "federation/context.hpp"
#include "federation/failure.hpp"
#include "federation/xml_stream.hpp"

namespace wl::federation {

class Pool : public std::enable_shared_from_this<Pool> {
public:
    // Bounces go back to the server like any stanza from a remote domain.
    using Deliver = std::function<void(proto::xml::Element stanza)>;

    Pool(std::shared_ptr<Context> ctx, Deliver bounce);

    // stanza in jabber:client; from a local domain to `remote`.
    void send(const std::string& local, const std::string& remote, proto::xml::Element stanza);
    // Closes every stream gracefully; queued stanzas are dropped (the server's durable jobs
    // resend what matters).
    asio::awaitable<void> stop();

private:
    using Key = std::pair<std::string, std::string>;  // (local, remote)
    struct Link {
        explicit Link(asio::any_io_executor ex) : idle(ex) {}
        Key key;
        enum class State {
            connecting,
            ready,
            closing
        } state = State::connecting;
        std::deque<proto::xml::Element> queue;
        std::shared_ptr<XmlStream> stream;
        std::chrono::steady_clock::time_point last_used;
        asio::steady_timer idle;
    };
    struct Backoff {
        int failures = 0;
        std::chrono::steady_clock::time_point until;
        FailureKind kind = FailureKind::unreachable;
        std::string reason;
    };

    // By reference: the detached lambda that awaits them owns the Link (federation/async/spawn.hpp).
    asio::awaitable<void> run(const std::shared_ptr<Link>& link);
    asio::awaitable<void> watch_idle(const std::shared_ptr<Link>& link);
    void write(Link& link, const proto::xml::Element& stanza);
    void bounce(const proto::xml::Element& stanza, FailureKind kind, const std::string& reason);
    void deliver_bounce(proto::xml::Element reply);
    void forget(const std::shared_ptr<Link>& link);

    std::shared_ptr<Context> ctx_;
    Deliver bounce_;
    std::map<Key, std::shared_ptr<Link>> links_;
    std::map<Key, Backoff> backoff_;
    bool stopping_ = false;
};

}  // namespace wl::federation

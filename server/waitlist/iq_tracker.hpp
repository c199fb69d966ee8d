#pragma once
// Our IQs to other services and their answers: each IQ gets an id of its own, is sent, and
// waits in memory for its answer (a result or an error, taken only from the address it
// went to) or for a timeout; whichever comes first is handed over once, the other is
// dropped. A bounce (the federation's error reply, possibly from inside send) counts as an
// answer. Both of the ServiceProvider's outbound paths use it: the partner jobs (callbacks)
// and discovery and reconciliation (await).
#include <utility>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "proto/jid.hpp"
#include "proto/xml/element.hpp"

namespace wl::server::waitlist {

class IqTracker : public std::enable_shared_from_this<IqTracker> {
public:
    using Answer = std::optional<proto::xml::Element>;  // nullopt: no answer in time
    using OnAnswer = std::function<void(Answer)>;
    using Send = std::function<void(proto::xml::Element)>;

    // `send` routes a stanza (Router::route in the server).
    static std::shared_ptr<IqTracker> create(boost::asio::io_context& io, std::chrono::milliseconds timeout, Send send);

    // Sends `iq` (its id set here) to `peer` (a bare JID, the IQ's 'to'); `on_answer` is
    // called exactly once, from any thread, possibly before send returns.
    void send(const std::string& peer, proto::xml::Element iq, OnAnswer on_answer);
    // The same, awaited: the coroutine resumes on its own executor.
    boost::asio::awaitable<Answer> request(const std::string& peer, proto::xml::Element& iq);

    // An IQ result or error from `from`: true when it answered one of ours (it is then
    // handed over), false when it matches nothing waiting.
    bool on_answer(const proto::xml::Element& iq, const proto::Jid& from);

    std::chrono::milliseconds timeout() const { return timeout_; }

private:
    struct Waiting {
        std::string peer;
        OnAnswer on_answer;
        std::shared_ptr<boost::asio::steady_timer> timer;
    };
    IqTracker(boost::asio::io_context& io, std::chrono::milliseconds timeout, Send send);
    void on_timeout(const std::string& id);

    boost::asio::io_context& io_;
    std::chrono::milliseconds timeout_;
    Send send_;
    std::string id_prefix_;  // differs per process: answers to a previous run's IQs match nothing
    std::mutex mutex_;       // guards waiting_ and next_id_
    std::unordered_map<std::string, Waiting> waiting_;
    std::uint64_t next_id_ = 0;
};

}  // namespace wl::server::waitlist

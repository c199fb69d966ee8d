#include "server/waitlist/iq_tracker.hpp"

#include <random>

#include "federation/async/await_answer.hpp"
#include "server/log.hpp"

namespace wl::server::waitlist {

namespace asio = boost::asio;
using proto::xml::Element;

std::shared_ptr<IqTracker> IqTracker::create(asio::io_context& io, std::chrono::milliseconds timeout, Send send)
{
    return std::shared_ptr<IqTracker>(new IqTracker(io, timeout, std::move(send)));
}

IqTracker::IqTracker(asio::io_context& io, std::chrono::milliseconds timeout, Send send)
    : io_(io),
      timeout_(timeout),
      send_(std::move(send))
{
    std::random_device rd;
    id_prefix_ = "wl" + std::to_string(rd() % 1000000) + "-";
}

void IqTracker::send(const std::string& peer, Element iq, OnAnswer on_answer)
{
    auto timer = std::make_shared<asio::steady_timer>(io_, timeout_);
    std::string id;
    {
        std::lock_guard lock(mutex_);
        id = id_prefix_ + std::to_string(++next_id_);
        waiting_.emplace(id, Waiting{peer, std::move(on_answer), timer});
    }
    iq.set_attr("id", id);
    timer->async_wait([weak = weak_from_this(), id](const boost::system::error_code& ec) {
        if (ec) return;
        if (auto self = weak.lock()) self->on_timeout(id);
    });
    // Registered before sending: a bounce may come back from inside send_.
    send_(std::move(iq));
}

asio::awaitable<IqTracker::Answer> IqTracker::request(const std::string& peer, Element& iq)
{
    auto start = [this, &peer, &iq](auto complete) { send(peer, std::move(iq), complete); };
    co_return co_await async::await_answer<Answer>(start);
}

bool IqTracker::on_answer(const Element& iq, const proto::Jid& from)
{
    Waiting w;
    {
        std::lock_guard lock(mutex_);
        auto it = waiting_.find(iq.attr_or("id"));
        // Only the address we asked answers for itself (or its server's bounce, which comes
        // from the same address).
        if (it == waiting_.end() || it->second.peer != from.bare_str()) return false;
        w = std::move(it->second);
        waiting_.erase(it);
    }
    w.timer->cancel();
    w.on_answer(iq);
    return true;
}

void IqTracker::on_timeout(const std::string& id)
{
    Waiting w;
    {
        std::lock_guard lock(mutex_);
        auto it = waiting_.find(id);
        if (it == waiting_.end()) return;
        w = std::move(it->second);
        waiting_.erase(it);
    }
    spdlog::info("waitlist: no answer from {} within {} ms", w.peer, timeout_.count());
    w.on_answer(std::nullopt);
}

}  // namespace wl::server::waitlist

#include "server/c2s/session.hpp"
#include "server/c2s/session_context.hpp"

namespace wl::server::c2s {

bool ConnectionSet::try_add(const std::string& address, int cap)
{
    std::lock_guard lock(mutex_);
    int& n = per_address_[address];
    if (n >= cap) {
        if (n == 0) per_address_.erase(address);
        return false;
    }
    ++n;
    return true;
}

void ConnectionSet::remove(const std::string& address)
{
    std::lock_guard lock(mutex_);
    auto it = per_address_.find(address);
    if (it != per_address_.end() && --it->second <= 0) per_address_.erase(it);
}

void ConnectionSet::track(const std::shared_ptr<Session>& session)
{
    std::lock_guard lock(mutex_);
    sessions_[session.get()] = session;
}

void ConnectionSet::untrack(const Session* session)
{
    std::lock_guard lock(mutex_);
    sessions_.erase(session);
}

std::size_t ConnectionSet::close_all(proto::StreamCondition condition, const std::string& text)
{
    std::vector<std::shared_ptr<Session>> live;
    {
        std::lock_guard lock(mutex_);
        for (auto& [ptr, weak] : sessions_)
            if (auto s = weak.lock()) live.push_back(std::move(s));
    }
    for (auto& s : live) s->close(condition, text);
    return live.size();
}

void ConnectionSet::abort_all()
{
    std::vector<std::shared_ptr<Session>> live;
    {
        std::lock_guard lock(mutex_);
        for (auto& [ptr, weak] : sessions_)
            if (auto s = weak.lock()) live.push_back(std::move(s));
    }
    for (auto& s : live) s->abort();
}

std::size_t ConnectionSet::size() const
{
    std::lock_guard lock(mutex_);
    return sessions_.size();
}

}  // namespace wl::server::c2s

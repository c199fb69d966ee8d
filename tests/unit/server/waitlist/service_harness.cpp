#include "service_harness.hpp"

#include <stdlib.h>

#include <filesystem>
#include <stdexcept>

#include "proto/ns.hpp"
#include "proto/stanza.hpp"

namespace wl::test {

namespace asio = boost::asio;
using namespace std::chrono_literals;

void Inbox::put(Element stanza)
{
    {
        std::lock_guard lock(mutex_);
        stanzas_.push_back(std::move(stanza));
    }
    arrived_.notify_all();
}

std::optional<Element> Inbox::take(const Predicate& match, std::chrono::milliseconds wait)
{
    std::unique_lock lock(mutex_);
    std::optional<Element> found;
    arrived_.wait_for(lock, wait, [&] {
        for (auto it = stanzas_.begin(); it != stanzas_.end(); ++it) {
            if (!match(*it)) continue;
            found = std::move(*it);
            stanzas_.erase(it);
            return true;
        }
        return false;
    });
    return found;
}

std::size_t Inbox::size() const
{
    std::lock_guard lock(mutex_);
    return stanzas_.size();
}

bool RecordingSession::deliver(std::shared_ptr<const Element> stanza)
{
    inbox.put(*stanza);
    return true;
}

Harness::Harness(HarnessOptions options) : router_(*proto::Jid::parse("sp.example"))
{
    char dir[] = "/tmp/wl-service-test-XXXXXX";
    if (!mkdtemp(dir)) throw std::runtime_error("mkdtemp failed");
    dir_ = dir;
    config_.domain = "sp.example";
    config_.waitlist.jid = "waitlist.sp.example";
    config_.waitlist.partner_timeout = options.partner_timeout;
    config_.waitlist.retry_attempts = options.retry_attempts;
    config_.waitlist.reconcile_interval = Duration::zero();  // the tests reconcile when they mean to
    config_.waitlist.serves = options.serves;
    config_.partners = options.partners;

    storage::StoreConfig store_config;
    store_config.path = dir_ + "/waitlistd.db";
    store_ = storage::open_store(store_config);
    db_ = std::make_unique<storage::DbExecutor>(*store_);
    server::DispatcherOptions dispatcher_options;
    dispatcher_options.poll_interval = 100ms;
    dispatcher_ = std::make_unique<server::JobDispatcher>(io_, *db_, dispatcher_options);
    router_.set_remote_handler([this](const Element& stanza) { remote_.put(stanza); });
    service_ = std::make_unique<server::WaitingListService>(config_, router_, io_, *db_, *dispatcher_);
    dispatcher_->start();
    work_.emplace(io_.get_executor());
    for (int i = 0; i < 2; ++i) threads_.emplace_back([this] { io_.run(); });
}

Harness::~Harness()
{
    dispatcher_->stop();
    work_.reset();
    io_.stop();
    for (auto& t : threads_) t.join();
    service_.reset();
    dispatcher_.reset();
    db_.reset();
    store_.reset();
    std::filesystem::remove_all(dir_);
}

void Harness::add_account(const std::string& jid, std::vector<std::string> uris)
{
    storage::NewAccount account;
    account.jid = jid;
    account.uris = std::move(uris);
    if (store_->create_account(account).status != storage::CreateAccountStatus::created)
        throw std::runtime_error("account " + jid + " not created");
}

std::shared_ptr<RecordingSession> Harness::login(const std::string& full_jid, bool available)
{
    auto session = std::make_shared<RecordingSession>(*proto::Jid::parse(full_jid));
    session->available_ = available;
    router_.bind(session);
    if (available) router_.session_available(session->jid());
    return session;
}

namespace {

Predicate answer_to(const std::string& id)
{
    return [id](const Element& s) {
        return s.name() == "iq" && s.attr_or("id") == id &&
               (s.attr_or("type") == "result" || s.attr_or("type") == "error");
    };
}

}  // namespace

Element Harness::ask(const std::shared_ptr<RecordingSession>& session, Element iq)
{
    const std::string id = iq.attr_or("id");
    router_.route(std::move(iq));
    auto answer = session->inbox.take(answer_to(id));
    if (!answer) throw std::runtime_error("no answer to " + id);
    return *answer;
}

Element Harness::ask_as_partner(Element iq)
{
    const std::string id = iq.attr_or("id");
    router_.route(std::move(iq));
    auto answer = remote_.take(answer_to(id));
    if (!answer) throw std::runtime_error("no answer to " + id);
    return *answer;
}

Element Harness::waitlist_iq(const std::string& from, const std::string& to, const std::string& type,
                             std::vector<proto::codec::WaitlistItem> items, const std::string& id)
{
    Element iq("iq", std::string(proto::ns::client));
    iq.set_attr("type", type);
    iq.set_attr("from", from);
    iq.set_attr("to", to);
    iq.set_attr("id", id);
    proto::codec::Waitinglist list;
    list.root = proto::codec::WaitlistRoot::query;
    list.items = std::move(items);
    iq.add_child(proto::codec::encode(list));
    return iq;
}

proto::codec::WaitlistItem Harness::uri_item(const std::string& scheme, const std::string& value)
{
    proto::codec::WaitlistItem item;
    item.uri = proto::codec::WaitlistUri{scheme, value};
    return item;
}

std::optional<proto::StanzaCondition> Harness::error_of(const Element& stanza)
{
    if (stanza.attr_or("type") != "error") return std::nullopt;
    const Element* error = stanza.child("error", "");
    if (!error) return proto::StanzaCondition::undefined_condition;
    auto parsed = proto::parse_stanza_error(*error);
    return parsed ? parsed->condition : proto::StanzaCondition::undefined_condition;
}

std::vector<proto::codec::WaitlistItem> Harness::items_of(const Element& stanza)
{
    for (const Element* child : stanza.children()) {
        if (!proto::codec::is_waitinglist(*child)) continue;
        auto list = proto::codec::decode_waitinglist(*child);
        if (list) return list->items;
    }
    return {};
}

}  // namespace wl::test

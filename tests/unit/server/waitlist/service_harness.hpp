#pragma once
// A WaitingListService with everything real but the sockets: a SQLite Store in a temporary
// directory, the database threads, the job dispatcher, the Router. Local users are sessions
// that record what they are sent; stanzas to other domains are recorded instead of being
// carried by federation (the partner's side is played by the test).
#include <utility>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "proto/codec/waitinglist.hpp"
#include "proto/jid.hpp"
#include "proto/xml/element.hpp"
#include "server/config.hpp"
#include "server/jobs/dispatcher.hpp"
#include "server/local_session.hpp"
#include "server/router.hpp"
#include "server/waitlist/service.hpp"
#include "storage/db_executor.hpp"
#include "storage/store.hpp"

namespace wl::test {

using proto::xml::Element;
using Predicate = std::function<bool(const Element&)>;

// Stanzas that arrive from other threads, awaited with a deadline.
class Inbox {
public:
    void put(Element stanza);
    // The first stanza (in arrival order, taken out) that matches, within `wait`.
    std::optional<Element> take(const Predicate& match, std::chrono::milliseconds wait = std::chrono::seconds(5));
    std::size_t size() const;

private:
    mutable std::mutex mutex_;
    std::condition_variable arrived_;
    std::vector<Element> stanzas_;
};

class RecordingSession : public server::LocalSession {
public:
    explicit RecordingSession(proto::Jid jid) : jid_(std::move(jid)) {}
    const proto::Jid& jid() const override { return jid_; }
    bool deliver(std::shared_ptr<const Element> stanza) override;
    void close(proto::StreamCondition, std::string) override {}
    bool is_available() const override { return available_; }
    int priority() const override { return 0; }

    bool available_ = true;
    Inbox inbox;

private:
    proto::Jid jid_;
};

struct HarnessOptions {
    std::vector<server::PartnerConfig> partners;
    std::chrono::milliseconds partner_timeout{2000};
    int retry_attempts = 5;
    // waitlist.serves: what is looked up here (the rest goes to the partners, if any).
    server::Serves serves{{"tel", {"+1"}}, {"mailto", {"example.org"}}};
};

class Harness {
public:
    explicit Harness(HarnessOptions options = {});
    ~Harness();

    // A local account owning `uris` (canonical).
    void add_account(const std::string& jid, std::vector<std::string> uris);
    // A bound session of `full_jid`, available (initial presence sent) unless told otherwise.
    std::shared_ptr<RecordingSession> login(const std::string& full_jid, bool available = true);

    // Routes an IQ (its 'from' trusted) and returns the answer `session` (or, with none, the
    // remote inbox) receives for its id.
    Element ask(const std::shared_ptr<RecordingSession>& session, Element iq);
    Element ask_as_partner(Element iq);

    void route(Element stanza) { router_.route(std::move(stanza)); }
    storage::Store& store() { return *store_; }
    Inbox& remote() { return remote_; }  // stanzas to other domains
    const proto::Jid& service() const { return service_->jid(); }

    // <iq type='set|get' from to id><query xmlns='urn:xmpp:waitinglist'>items</query></iq>
    static Element waitlist_iq(const std::string& from, const std::string& to, const std::string& type,
                               std::vector<proto::codec::WaitlistItem> items, const std::string& id);
    static proto::codec::WaitlistItem uri_item(const std::string& scheme, const std::string& value);
    static std::optional<proto::StanzaCondition> error_of(const Element& stanza);
    static std::vector<proto::codec::WaitlistItem> items_of(const Element& stanza);

private:
    std::string dir_;
    server::Config config_;
    std::unique_ptr<storage::Store> store_;
    boost::asio::io_context io_;
    server::Router router_;
    std::unique_ptr<storage::DbExecutor> db_;
    std::unique_ptr<server::JobDispatcher> dispatcher_;
    std::unique_ptr<server::WaitingListService> service_;
    Inbox remote_;
    std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> work_;
    std::vector<std::thread> threads_;
};

}  // namespace wl::test

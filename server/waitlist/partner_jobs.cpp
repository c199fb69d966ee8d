#include "server/waitlist/partner_jobs.hpp"

#include <algorithm>

#include "federation/async/await_answer.hpp"
#include "proto/error.hpp"
#include "server/metrics.hpp"
#include "server/waitlist/requests.hpp"

namespace wl::server::waitlist {

using proto::ErrorType;

storage::TimePoint guard_time(const WaitlistConfig& config, int attempts)
{
    // At most ten minutes apart unless the timeout itself is longer.
    const auto timeout = config.partner_timeout;
    auto delay = timeout * (std::int64_t{1} << std::clamp(attempts, 1, 10));
    delay = std::min(delay, std::max<Duration>(2 * timeout, std::chrono::minutes(10)));
    return storage::Clock::now() + delay;
}

storage::TimePoint discovery_wait(const WaitlistConfig& config)
{
    // agents, then disco#items and a disco#info: up to three partner_timeouts.
    return storage::Clock::now() + 3 * config.partner_timeout + std::chrono::seconds(1);
}

storage::RetryPolicy retry_policy(const WaitlistConfig& config)
{
    storage::RetryPolicy policy;
    policy.max_attempts = config.retry_attempts;
    policy.period = config.retry_period;
    policy.initial_backoff = config.partner_timeout;
    return policy;
}

bool is_transient(const Element& error_iq)
{
    const Element* el = error_iq.child("error", "");
    if (!el) return true;
    auto error = proto::parse_stanza_error(*el);
    if (!error) return true;
    switch (error->condition) {
    case StanzaCondition::remote_server_not_found:
    case StanzaCondition::remote_server_timeout:
    case StanzaCondition::resource_constraint:
    case StanzaCondition::internal_server_error:
        return true;
    default:
        return error->type == ErrorType::wait;
    }
}

std::string describe_error(const Element& error_iq)
{
    const Element* el = error_iq.child("error", "");
    auto error = el ? proto::parse_stanza_error(*el) : std::nullopt;
    return error ? std::string(proto::name(error->condition)) : "an unreadable error";
}

boost::asio::awaitable<void> complete_job(storage::DbExecutor& db, const std::int64_t& job_id)
{
    auto complete_it = [job_id](storage::Store& s) { return s.complete_job(job_id); };
    auto done = co_await async::db_call(db, complete_it);
    if (!done.ok()) log_failure("completing a partner job", done.error);
}

void count_pushes(const storage::PartnerAnswerResult& recorded)
{
    if (recorded.items_changed > 0) server_metrics().pushes_queued.inc(recorded.items_changed);
}

}  // namespace wl::server::waitlist

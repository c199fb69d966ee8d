#pragma once
// What both partner sides share about their jobs and the answers to them: when a job that
// sent an IQ comes back (its guard), the retry policy of our queries, completing a job, and
// reading a partner's error answer.
#include <utility>
#include <boost/asio/awaitable.hpp>

#include <cstdint>
#include <string>

#include "proto/xml/element.hpp"
#include "server/config.hpp"
#include "server/jobs/dispatcher.hpp"
#include "storage/db_executor.hpp"
#include "storage/types.hpp"

namespace wl::server::waitlist {

// When a job that sent an IQ comes again if nothing settled it: later than the answer can
// come (partner_timeout), doubling per attempt.
storage::TimePoint guard_time(const WaitlistConfig& config, int attempts);
// When a job waiting for a discovery looks again: after the three IQs it may take.
storage::TimePoint discovery_wait(const WaitlistConfig& config);
storage::RetryPolicy retry_policy(const WaitlistConfig& config);

// An error that says "not now" rather than "never": the partner's server is unreachable,
// busy, or failed inside. It must not end in item-not-found.
bool is_transient(const proto::xml::Element& error_iq);
// The error's condition, for the log.
std::string describe_error(const proto::xml::Element& error_iq);

// A job whose payload this version cannot read (written by a newer one, or damaged): kept
// for an operator, out of the way.
inline JobOutcome unreadable_payload()
{
    return JobOutcome::retry_at(storage::Clock::now() + std::chrono::hours(24), "unreadable payload");
}

// Deletes a job whose IQ was settled (its guard is no longer needed).
boost::asio::awaitable<void> complete_job(storage::DbExecutor& db, const std::int64_t& job_id);
// Each local item a partner's answer settled got its JID push queued in the same transaction.
void count_pushes(const storage::PartnerAnswerResult& recorded);

}  // namespace wl::server::waitlist

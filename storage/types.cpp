#include "storage/types.hpp"

namespace wl::storage {

std::string_view to_string(ItemState s) noexcept
{
    switch (s) {
    case ItemState::waiting:
        return "waiting";
    case ItemState::found:
        return "found";
    case ItemState::not_found:
        return "not_found";
    case ItemState::timed_out:
        return "timed_out";
    }
    return "waiting";
}

std::optional<ItemState> parse_item_state(std::string_view s) noexcept
{
    for (auto v : {ItemState::waiting, ItemState::found, ItemState::not_found, ItemState::timed_out})
        if (to_string(v) == s) return v;
    return std::nullopt;
}

std::string_view to_string(JobKind k) noexcept
{
    switch (k) {
    case JobKind::push:
        return "push";
    case JobKind::partner_query:
        return "partner_query";
    case JobKind::partner_remove:
        return "partner_remove";
    case JobKind::partner_push:
        return "partner_push";
    }
    return "push";
}

std::optional<JobKind> parse_job_kind(std::string_view s) noexcept
{
    for (auto v : {JobKind::push, JobKind::partner_query, JobKind::partner_remove, JobKind::partner_push})
        if (to_string(v) == s) return v;
    return std::nullopt;
}

std::string_view to_string(QueryState s) noexcept
{
    switch (s) {
    case QueryState::pending:
        return "pending";
    case QueryState::acked:
        return "acked";
    case QueryState::found:
        return "found";
    case QueryState::not_found:
        return "not_found";
    case QueryState::timed_out:
        return "timed_out";
    case QueryState::removed:
        return "removed";
    }
    return "pending";
}

std::optional<QueryState> parse_query_state(std::string_view s) noexcept
{
    for (auto v : {QueryState::pending, QueryState::acked, QueryState::found, QueryState::not_found,
                   QueryState::timed_out, QueryState::removed})
        if (to_string(v) == s) return v;
    return std::nullopt;
}

std::string_view to_string(ScramMechanism m) noexcept
{
    return m == ScramMechanism::sha1 ? "SCRAM-SHA-1" : "SCRAM-SHA-256";
}

}  // namespace wl::storage

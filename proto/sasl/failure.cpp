#include "proto/sasl/failure.hpp"

namespace wl::proto::sasl {

std::string_view failure_condition(SaslFailure failure) noexcept
{
    switch (failure) {
    case SaslFailure::aborted: return "aborted";
    case SaslFailure::account_disabled: return "account-disabled";
    case SaslFailure::credentials_expired: return "credentials-expired";
    case SaslFailure::encryption_required: return "encryption-required";
    case SaslFailure::incorrect_encoding: return "incorrect-encoding";
    case SaslFailure::invalid_authzid: return "invalid-authzid";
    case SaslFailure::invalid_mechanism: return "invalid-mechanism";
    case SaslFailure::malformed_request: return "malformed-request";
    case SaslFailure::mechanism_too_weak: return "mechanism-too-weak";
    case SaslFailure::not_authorized: return "not-authorized";
    case SaslFailure::temporary_auth_failure: return "temporary-auth-failure";
    }
    return "not-authorized";
}

}  // namespace wl::proto::sasl

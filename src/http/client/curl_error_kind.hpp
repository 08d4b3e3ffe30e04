#pragma once
// Maps a finished transfer's CURLcode onto the ClientErrorKind callers switch on.
#include <curl/curl.h>

#include "shield/http/client.hpp"

namespace shield::http::detail {

// `body_over_limit`: our write callback refused the body because it passed
// max_response_bytes, which curl reports as a plain CURLE_WRITE_ERROR.
ClientErrorKind classify_curl_error(CURLcode code, bool body_over_limit) noexcept;

}  // namespace shield::http::detail

#include "curl_error_kind.hpp"

namespace shield::http::detail {

ClientErrorKind classify_curl_error(CURLcode code, bool body_over_limit) noexcept {
  switch (code) {
    case CURLE_COULDNT_CONNECT:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
      return ClientErrorKind::kConnect;
    case CURLE_OPERATION_TIMEDOUT:
      return ClientErrorKind::kTimeout;
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CRL_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS:
    case CURLE_SSL_ENGINE_NOTFOUND:
    case CURLE_SSL_ENGINE_SETFAILED:
    case CURLE_SSL_ENGINE_INITFAILED:
    case CURLE_SSL_SHUTDOWN_FAILED:
    case CURLE_USE_SSL_FAILED:
      return ClientErrorKind::kTls;
    case CURLE_FILESIZE_EXCEEDED:
      return ClientErrorKind::kTooLarge;
    case CURLE_WRITE_ERROR:
      return body_over_limit ? ClientErrorKind::kTooLarge : ClientErrorKind::kOther;
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
      return ClientErrorKind::kReset;
    case CURLE_URL_MALFORMAT:
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_BAD_FUNCTION_ARGUMENT:
      return ClientErrorKind::kInvalid;
    default:
      return ClientErrorKind::kOther;
  }
}

}  // namespace shield::http::detail

#pragma once
// ResponseHeaderParser: turns the header lines curl hands to CURLOPT_HEADERFUNCTION into the
// ClientResponse header map. curl delivers every header block it reads (1xx interim
// answers, each redirect hop, then the final answer, then trailers), so a status line starts
// a fresh block: only the final answer's headers (plus its trailers) survive.
//
// Threading: none; one parser per transfer.
#include <map>
#include <string>
#include <string_view>

namespace shield::http::detail {

class ResponseHeaderParser {
 public:
  // One raw line including its CRLF, as curl passes it.
  void on_line(std::string_view line);
  // Names lower-cased; repeated names joined with ", ".
  [[nodiscard]] std::map<std::string, std::string> take() { return std::move(headers_); }

 private:
  std::map<std::string, std::string> headers_;
  std::string last_name_;  // for obsolete line folding
};

}  // namespace shield::http::detail

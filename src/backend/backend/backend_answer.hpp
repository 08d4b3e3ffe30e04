#pragma once
// Reading a backend's answer for people and for callers: the body as JSON, the error text
// a service put in its error body, a short excerpt of anything else, Retry-After, and the
// reason a transport failure is shown with. Pure functions; safe from any thread.
#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "shield/http/client.hpp"

namespace shield::backend::detail {

// The body parsed as JSON; a JSON string holding the raw text when it is not JSON; null
// when it is empty.
nlohmann::json parse_body(const std::string& body);

// At most `limit` bytes of `text` on one line: control characters become spaces, runs of
// whitespace one space, a cut never splits a UTF-8 sequence, and a cut is marked "...".
std::string excerpt(std::string_view text, std::size_t limit);

// The message a service put in its error body, as an excerpt: Qdrant's status.error,
// Ollama's and OpenAI's error (a string, or an object with a message), FastAPI's detail
// (a string, or a list of {loc, msg}), or a top-level message. Otherwise an excerpt of the
// raw body; empty when the body is empty.
std::string error_text(const nlohmann::json& body, std::string_view raw);

// Retry-After given in seconds ("120"). The HTTP-date form is ignored: a backend behind
// our own network sends delays, and a date would need its clock to agree with ours.
std::optional<std::chrono::seconds> parse_retry_after(const std::optional<std::string>& value);

// How a transport failure is shown in messages and as the breaker's last failure:
// "connection refused", "connection reset", "cannot resolve host", ...
std::string transport_reason(const http::ClientError& error);

// `path` without its query string, which may carry secrets, for log lines.
std::string_view loggable_path(std::string_view path);

}  // namespace shield::backend::detail

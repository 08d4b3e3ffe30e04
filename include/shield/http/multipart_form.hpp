#pragma once
// multipart/form-data (RFC 7578) for uploads such as POST /ingest. The body is already
// fully read (the server's body limit bounds it), so parsing is one pass over it and the
// parts are views into it: no copy of a 100 MiB upload.
//
// Ownership: every string_view in a FormPart points into the `body` given to the parser;
// keep the body alive while the parts are used.
// Errors: kInvalidArgument with a message saying what is malformed (no boundary, a part
// without Content-Disposition, a missing closing delimiter, too many parts).
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "shield/util/error.hpp"

namespace shield::http {

struct FormPart {
  std::string name;                     // Content-Disposition name
  std::optional<std::string> filename;  // filename (or RFC 5987 filename*), when a file
  std::string content_type;             // the part's Content-Type; "text/plain" if absent
  std::string_view data;
};

// `content_type` is the request's Content-Type header value.
[[nodiscard]] Result<std::vector<FormPart>> parse_multipart_form(std::string_view content_type,
                                                                 std::string_view body,
                                                                 std::size_t max_parts = 64);

// The first part named `name`, or nullptr.
[[nodiscard]] const FormPart* find_part(const std::vector<FormPart>& parts, std::string_view name);

}  // namespace shield::http

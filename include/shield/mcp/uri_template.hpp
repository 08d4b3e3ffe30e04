#pragma once
// RFC 6570 level-1 URI templates ("test://template/{id}/data"), the form resource
// templates use. Pure functions.
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace shield::mcp {

// True when every '{' closes with a '}' around a non-empty variable name, without nesting.
bool is_valid_uri_template(std::string_view uri_template);

// The variables that make `uri` an expansion of `uri_template`, or nullopt if it is not one.
// A variable matches one or more characters other than '/', percent-decoded.
std::optional<std::map<std::string, std::string>> match_uri_template(std::string_view uri_template,
                                                                     std::string_view uri);

}  // namespace shield::mcp

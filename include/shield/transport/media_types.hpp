#pragma once
// The bits of HTTP content negotiation the MCP endpoint needs: does the client accept a
// JSON body / an event stream, and did it send JSON. Pure functions, safe from any thread.
#include <string_view>

namespace shield::transport {

// Strips the optional whitespace (SP / HTAB) RFC 9110 allows around field values.
std::string_view trim_ows(std::string_view text);

// True when the Accept field value admits `media_type` ("type/subtype", lower case):
// listed directly or through "type/*" or "*/*", and not refused with q=0. Media types
// compare case-insensitively. An empty Accept admits nothing: MCP clients must send one.
bool accept_allows(std::string_view accept, std::string_view media_type);

// True for "application/json" with or without parameters ("; charset=utf-8").
bool is_json_media_type(std::string_view content_type);

}  // namespace shield::transport

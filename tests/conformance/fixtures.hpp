#pragma once
// The fixtures the official MCP conformance suite expects of a server under test: its tools,
// resources, resource template, prompts and completion, with the exact names, schemas and
// contents the scenarios check. Registered on the same Registry the daemon uses, so the
// suite exercises the real engine, transport and HTTP server.
#include <stdexcept>
#include <string>

#include "shield/mcp/registry.hpp"

namespace shield::conformance {

// A 1x1 PNG and a tiny WAV: the scenarios only check that media content is present.
inline constexpr const char* kPngBase64 =
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg"
    "==";
inline constexpr const char* kWavBase64 =
    "UklGRiYAAABXQVZFZm10IBAAAAABAAEAQB8AAAB9AAACABAAZGF0YQIAAAA=";

// Registration happens at start-up, where a failure is fatal: it throws.
inline void must(const Result<void>& added, const std::string& what) {
  if (!added) throw std::runtime_error("cannot register " + what + ": " + added.error().message);
}

void register_fixture_tools(mcp::Registry& registry);
// The tasks scenarios' tools (fixture_task_tools.cpp).
void register_fixture_task_tools(mcp::Registry& registry);
void register_fixture_resources(mcp::Registry& registry);
void register_fixture_prompts(mcp::Registry& registry);

}  // namespace shield::conformance

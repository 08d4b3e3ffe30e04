#pragma once
// Resources, resource templates, prompts and completions: registries like the tools'.
// The daemon registers none yet; the conformance fixture server does.
#include <functional>
#include <map>
#include <optional>
#include <string>

#include <boost/asio/awaitable.hpp>

#include "shield/mcp/tool.hpp"
#include "shield/util/error.hpp"

namespace shield::mcp {

struct ResourceDefinition {
  std::string uri;
  std::string name;
  std::string title;
  std::string description;
  std::string mime_type;
  // Returns the `contents` array of a resources/read result. kNotFound → resource-not-found.
  std::function<boost::asio::awaitable<Result<Json>>(std::string uri)> read;
};

struct ResourceTemplateDefinition {
  std::string uri_template;  // RFC 6570 level 1 ("test://template/{id}/data")
  std::string name;
  std::string title;
  std::string description;
  std::string mime_type;
  std::function<boost::asio::awaitable<Result<Json>>(std::string uri,
                                                     std::map<std::string, std::string> vars)>
      read;
};

struct PromptArgument {
  std::string name;
  std::string description;
  bool required = false;
};

struct PromptDefinition {
  std::string name;
  std::string title;
  std::string description;
  std::vector<PromptArgument> arguments;
  // Returns a prompts/get result ({description?, messages}); kInvalidArgument → -32602.
  std::function<boost::asio::awaitable<Result<Json>>(std::map<std::string, std::string> args)> get;
};

// completion/complete: `ref` is {type: "ref/prompt", name} or {type: "ref/resource", uri}.
// Returns {values, total?, hasMore?}.
using CompletionHandler = std::function<boost::asio::awaitable<Result<Json>>(
    Json ref, std::string argument_name, std::string value, Json context)>;

}  // namespace shield::mcp

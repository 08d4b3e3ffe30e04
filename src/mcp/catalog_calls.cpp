// resources/read, prompts/get and completion/complete: the catalog methods whose
// handlers are coroutines.
#include <spdlog/spdlog.h>

#include "engine_impl.hpp"
#include "shield/mcp/json_rpc.hpp"
#include "shield/mcp/protocol_version.hpp"
#include "shield/mcp/uri_template.hpp"

namespace shield::mcp {
namespace {

// Handler errors become JSON-RPC errors: the caller's mistakes are -32602, the rest is ours.
RpcError from_handler_error(const Error& error, const std::string& what) {
  if (error.code == ErrorCode::kInvalidArgument || error.code == ErrorCode::kNotFound) {
    return RpcError{kInvalidParams, error.message, nullptr};
  }
  spdlog::error("mcp: {} failed: {} ({})", what, error.message, to_string(error.code));
  return RpcError{kInternalError, "Internal error", nullptr};
}

// The legacy revisions have their own code; 2026-07-28 (SEP-2164) folds it into -32602.
RpcError resource_not_found(const Call& call, const std::string& uri) {
  return RpcError{call.stateless ? kInvalidParams : kResourceNotFound, "Resource not found: " + uri,
                  Json{{"uri", uri}}};
}

}  // namespace

boost::asio::awaitable<Outcome> Engine::Impl::read_resource(std::shared_ptr<AsyncCall> state) {
  const Call& call = *state->call;
  const auto uri_it = call.params.find("uri");
  if (uri_it == call.params.end() || !uri_it->is_string()) {
    co_return rpc_error(kInvalidParams, "Invalid params: uri is required (a string)");
  }
  const std::string uri = uri_it->get<std::string>();

  Result<Json> contents = fail(ErrorCode::kNotFound, "no such resource");
  if (const ResourceDefinition* resource = registry.find_resource(uri)) {
    contents = co_await resource->read(uri);
  } else {
    const ResourceTemplateDefinition* match = nullptr;
    std::map<std::string, std::string> vars;
    for (const auto& candidate : registry.resource_templates()) {
      if (auto found = match_uri_template(candidate.uri_template, uri)) {
        match = &candidate;
        vars = std::move(*found);
        break;
      }
    }
    if (match == nullptr) co_return tl::unexpected<RpcError>(resource_not_found(call, uri));
    contents = co_await match->read(uri, std::move(vars));
  }
  if (!contents) {
    if (contents.error().code == ErrorCode::kNotFound) {
      co_return tl::unexpected<RpcError>(resource_not_found(call, uri));
    }
    co_return tl::unexpected<RpcError>(
        from_handler_error(contents.error(), "resources/read " + uri));
  }
  if (!contents->is_array()) {
    spdlog::error("mcp: the reader of {} returned {} instead of a contents array", uri,
                  contents->type_name());
    co_return rpc_error(kInternalError, "Internal error");
  }
  co_return Json{{"contents", std::move(*contents)}};
}

boost::asio::awaitable<Outcome> Engine::Impl::get_prompt(std::shared_ptr<AsyncCall> state) {
  const Call& call = *state->call;
  const auto name_it = call.params.find("name");
  if (name_it == call.params.end() || !name_it->is_string()) {
    co_return rpc_error(kInvalidParams, "Invalid params: name is required (a string)");
  }
  const std::string name = name_it->get<std::string>();
  const PromptDefinition* prompt = registry.find_prompt(name);
  if (prompt == nullptr) co_return rpc_error(kInvalidParams, "Unknown prompt: " + name);

  const Json arguments = call.params.value("arguments", Json::object());
  if (!arguments.is_object() && !arguments.is_null()) {
    co_return rpc_error(kInvalidParams, "Invalid params: arguments must be an object");
  }
  std::map<std::string, std::string> args;
  if (arguments.is_object()) {
    for (const auto& [key, value] : arguments.items()) {
      if (!value.is_string()) {
        co_return rpc_error(kInvalidParams,
                            "Invalid params: argument '" + key + "' must be a string");
      }
      args.emplace(key, value.get<std::string>());
    }
  }
  for (const auto& argument : prompt->arguments) {
    if (argument.required && args.count(argument.name) == 0) {
      co_return rpc_error(kInvalidParams, "Missing required argument: " + argument.name);
    }
  }
  auto result = co_await prompt->get(std::move(args));
  if (!result)
    co_return tl::unexpected<RpcError>(from_handler_error(result.error(), "prompts/get " + name));
  if (!result->is_object() || !result->contains("messages")) {
    spdlog::error("mcp: prompt '{}' returned no messages", name);
    co_return rpc_error(kInternalError, "Internal error");
  }
  co_return std::move(*result);
}

boost::asio::awaitable<Outcome> Engine::Impl::complete_argument(std::shared_ptr<AsyncCall> state) {
  const Call& call = *state->call;
  const auto ref = call.params.find("ref");
  if (ref == call.params.end() || !ref->is_object() || !ref->contains("type")) {
    co_return rpc_error(kInvalidParams, "Invalid params: ref is required (an object with a type)");
  }
  const Json type = ref->at("type");
  if (type == "ref/prompt") {
    const auto name = ref->find("name");
    if (name == ref->end() || !name->is_string()) {
      co_return rpc_error(kInvalidParams, "Invalid params: ref.name is required (a string)");
    }
    if (registry.find_prompt(name->get<std::string>()) == nullptr) {
      co_return rpc_error(kInvalidParams, "Unknown prompt: " + name->get<std::string>());
    }
  } else if (type == "ref/resource") {
    const auto uri = ref->find("uri");
    if (uri == ref->end() || !uri->is_string()) {
      co_return rpc_error(kInvalidParams, "Invalid params: ref.uri is required (a string)");
    }
  } else {
    co_return rpc_error(kInvalidParams,
                        "Invalid params: ref.type must be ref/prompt or ref/resource");
  }
  const auto argument = call.params.find("argument");
  if (argument == call.params.end() || !argument->is_object() ||
      !argument->value("name", Json()).is_string() ||
      !argument->value("value", Json()).is_string()) {
    co_return rpc_error(kInvalidParams,
                        "Invalid params: argument is required ({name, value} strings)");
  }
  Json context = call.params.value("context", Json::object());
  if (!context.is_object()) context = Json::object();

  auto result =
      co_await registry.completion()(*ref, argument->at("name").get<std::string>(),
                                     argument->at("value").get<std::string>(), std::move(context));
  if (!result) {
    co_return tl::unexpected<RpcError>(from_handler_error(result.error(), "completion/complete"));
  }
  Json completion = result->is_object() ? std::move(*result) : Json::object();
  Json values = completion.value("values", Json::array());
  if (!values.is_array()) values = Json::array();
  // The spec caps one answer at 100 values; the rest is announced with hasMore.
  if (values.size() > 100) {
    values.erase(values.begin() + 100, values.end());
    completion["hasMore"] = true;
  }
  completion["values"] = std::move(values);
  co_return Json{{"completion", std::move(completion)}};
}

}  // namespace shield::mcp

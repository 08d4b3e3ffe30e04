#include "shield/mcp/engine.hpp"

#include <array>
#include <string_view>

#include <spdlog/spdlog.h>

#include "engine_impl.hpp"
#include "shield/mcp/cursor.hpp"
#include "shield/mcp/json_rpc.hpp"
#include "shield/mcp/protocol_version.hpp"

namespace shield::mcp {
namespace {

constexpr std::array<const char*, 8> kLevelNames = {"debug", "info",     "notice", "warning",
                                                    "error", "critical", "alert",  "emergency"};

constexpr std::string_view kMetaProtocolVersion = "io.modelcontextprotocol/protocolVersion";
constexpr std::string_view kMetaClientCapabilities = "io.modelcontextprotocol/clientCapabilities";
constexpr std::string_view kMetaLogLevel = "io.modelcontextprotocol/logLevel";
constexpr std::string_view kMetaServerInfo = "io.modelcontextprotocol/serverInfo";

bool is_cacheable(const std::string& method) {
  return method == "server/discover" || method == "tools/list" || method == "prompts/list" ||
         method == "resources/list" || method == "resources/templates/list" ||
         method == "resources/read";
}

// Methods of the stateless revision; the session-only ones (initialize, ping,
// logging/setLevel, resources/subscribe) are gone from it.
bool exists_stateless(const std::string& method) {
  return method == "server/discover" || method == "tools/list" || method == "tools/call" ||
         method == "prompts/list" || method == "prompts/get" || method == "resources/list" ||
         method == "resources/templates/list" || method == "resources/read" ||
         method == "completion/complete";
}

// The task methods of each wire: 2025-11-25 has tasks/result and tasks/list, the
// 2026-07-28 extension has tasks/update instead.
bool is_task_method(const std::string& method) {
  return method.rfind("tasks/", 0) == 0;
}

bool exists_task_method(const std::string& method, bool stateless) {
  if (method == "tasks/get" || method == "tasks/cancel") return true;
  return stateless ? method == "tasks/update" : method == "tasks/result" || method == "tasks/list";
}

bool exists_legacy(const std::string& method) {
  return method == "initialize" || method == "ping" || method == "logging/setLevel" ||
         method == "tools/list" || method == "tools/call" || method == "prompts/list" ||
         method == "prompts/get" || method == "resources/list" ||
         method == "resources/templates/list" || method == "resources/read" ||
         method == "resources/subscribe" || method == "resources/unsubscribe" ||
         method == "completion/complete";
}

// One page of a list: `key` holds items [offset, offset + page) and nextCursor the rest.
template <class Item, class ToJson>
Outcome page_of(const Call& call, std::string_view list, const std::string& key,
                const std::vector<Item>& items, std::size_t page_size, ToJson to_json) {
  std::size_t offset = 0;
  if (const auto cursor = call.params.find("cursor");
      cursor != call.params.end() && !cursor->is_null()) {
    if (!cursor->is_string()) return rpc_error(kInvalidParams, "Invalid cursor");
    const auto decoded = decode_cursor(list, cursor->get_ref<const std::string&>());
    if (!decoded || *decoded > items.size()) return rpc_error(kInvalidParams, "Invalid cursor");
    offset = *decoded;
  }
  const std::size_t end =
      page_size == 0 ? items.size() : std::min(items.size(), offset + page_size);
  Json array = Json::array();
  for (std::size_t i = offset; i < end; ++i) array.push_back(to_json(items[i]));
  Json result{{key, std::move(array)}};
  if (end < items.size()) result["nextCursor"] = encode_cursor(list, end);
  return result;
}

}  // namespace

const char* log_level_name(LogLevel level) {
  return kLevelNames[static_cast<std::size_t>(level)];
}

std::optional<LogLevel> parse_log_level(const Json& name) {
  if (!name.is_string()) return std::nullopt;
  for (std::size_t i = 0; i < kLevelNames.size(); ++i) {
    if (name == kLevelNames[i]) return static_cast<LogLevel>(i);
  }
  return std::nullopt;
}

void put_if_not_empty(Json& object, const char* key, const std::string& value) {
  if (!value.empty()) object[key] = value;
}

Json missing_capabilities(const Json& required, const Json& declared) {
  if (!required.is_object()) return nullptr;
  Json missing = Json::object();
  for (const auto& [name, needed] : required.items()) {
    const auto have = declared.is_object() ? declared.find(name) : declared.end();
    if (!declared.is_object() || have == declared.end() || have->is_null()) {
      missing[name] = needed;
      continue;
    }
    // Nested requirements ({"elicitation": {"url": {}}}) need the nested keys too.
    if (needed.is_object() && !needed.empty()) {
      Json deeper = missing_capabilities(needed, *have);
      if (!deeper.is_null()) missing[name] = std::move(deeper);
    }
  }
  return missing.empty() ? Json(nullptr) : missing;
}

// ---------------------------------------------------------------------------------------
// Engine

Engine::Engine(EngineOptions options, Registry& registry, SessionStore& sessions,
               boost::asio::any_io_executor executor, metrics::Metrics* metrics,
               std::shared_ptr<TaskStore> task_store)
    : registry_(registry), sessions_(sessions) {
  if (!task_store) {
    task_store = InMemoryTaskStore::create(executor, SystemClock::instance(), options.tasks);
  }
  impl_ = std::make_shared<Impl>(std::move(options), registry, sessions, std::move(executor),
                                 metrics, std::move(task_store));
}

const std::vector<std::string>& Engine::supported_versions() {
  return supported_protocol_versions();
}

const std::string& Engine::latest_version() {
  return latest_protocol_version();
}

std::string Engine::negotiate(const std::string& requested) {
  return negotiate_protocol_version(requested);
}

bool Engine::is_stateless(const std::string& version) {
  return is_stateless_protocol_version(version);
}

void Engine::handle(Json message, RequestScope scope) {
  const Classified classified = classify(message);
  const std::shared_ptr<RequestChannel> channel = scope.channel;
  try {
    switch (classified.kind) {
      case MessageKind::kRequest:
        impl_->handle_request(std::move(message), classified.id, std::move(scope));
        return;
      case MessageKind::kNotification:
        impl_->handle_notification(message, scope);
        return;
      case MessageKind::kResponse:
        // Answers to server-initiated requests (sampling, elicitation) have no taker yet.
        spdlog::debug("mcp: ignoring a response from the client");
        return;
      case MessageKind::kInvalid:
        if (channel) {
          channel->respond(
              make_error(classified.id, kInvalidRequest, "Invalid Request: " + classified.problem));
        }
        return;
    }
  } catch (const std::exception& e) {
    // A bug of ours must cost one request, never the daemon. Once a request reached
    // dispatch it owns its answer, so only failures before that are answered here.
    spdlog::error("mcp: failed to handle a message: {}", e.what());
    if (classified.kind == MessageKind::kRequest && channel) {
      channel->respond(make_error(classified.id, kInternalError, "Internal error"));
    }
  }
}

// ---------------------------------------------------------------------------------------
// Envelope and routing

void Engine::Impl::handle_request(Json message, Json id, RequestScope scope) {
  auto call = std::make_shared<Call>();
  call->key = request_key(id);
  call->id = std::move(id);
  call->method = message.at("method").get<std::string>();
  call->scope = std::move(scope);

  if (const auto params = message.find("params"); params != message.end()) {
    if (!params->is_object()) {
      answer(*call, rpc_error(kInvalidParams, "Invalid params: params must be an object"));
      return;
    }
    call->params = std::move(*params);
  } else {
    call->params = Json::object();
  }
  if (const auto meta = call->params.find("_meta"); meta != call->params.end()) {
    if (!meta->is_object()) {
      answer(*call, rpc_error(kInvalidParams, "Invalid params: _meta must be an object"));
      return;
    }
    call->meta = *meta;
  } else {
    call->meta = Json::object();
  }

  const auto& session = call->scope.session;
  const std::string negotiated = session ? session->protocol_version() : std::string();
  // A session that never ran initialize (stdio's implicit one) may still carry stateless
  // requests; initialize itself always takes the session path.
  const bool meta_stateless = call->meta.contains(kMetaProtocolVersion) ||
                              is_stateless_protocol_version(call->scope.protocol_version);
  call->stateless =
      !session || (negotiated.empty() && call->method != "initialize" && meta_stateless);

  if (call->stateless) {
    if (auto problem = check_stateless_meta(*call)) {
      answer(*call, tl::unexpected<RpcError>(std::move(*problem)));
      return;
    }
  } else {
    call->version = !negotiated.empty()                     ? negotiated
                    : !call->scope.protocol_version.empty() ? call->scope.protocol_version
                                                            : latest_session_protocol_version();
  }
  dispatch(call);
}

std::optional<RpcError> Engine::Impl::check_stateless_meta(Call& call) const {
  std::string missing;
  for (const auto key : {kMetaProtocolVersion, kMetaClientCapabilities}) {
    if (!call.meta.contains(key)) {
      if (!missing.empty()) missing += ", ";
      missing += key;
    }
  }
  if (!missing.empty()) {
    return RpcError{kInvalidParams, "Invalid params: missing _meta keys: " + missing, nullptr};
  }
  const Json& version = call.meta[std::string(kMetaProtocolVersion)];
  if (!version.is_string()) {
    return RpcError{
        kInvalidParams,
        "Invalid params: _meta " + std::string(kMetaProtocolVersion) + " must be a string",
        nullptr};
  }
  if (!call.meta[std::string(kMetaClientCapabilities)].is_object()) {
    return RpcError{
        kInvalidParams,
        "Invalid params: _meta " + std::string(kMetaClientCapabilities) + " must be an object",
        nullptr};
  }
  call.version = version.get<std::string>();
  if (!call.scope.protocol_version.empty() && call.scope.protocol_version != call.version) {
    return RpcError{kHeaderMismatch,
                    "MCP-Protocol-Version header does not match _meta protocolVersion", nullptr};
  }
  if (!is_stateless_protocol_version(call.version) ||
      !is_supported_protocol_version(call.version)) {
    Json supported = Json::array();
    for (const auto& v : supported_protocol_versions()) {
      if (is_stateless_protocol_version(v)) supported.push_back(v);
    }
    return RpcError{kUnsupportedProtocolVersion, "Unsupported protocol version",
                    Json{{"supported", std::move(supported)}, {"requested", call.version}}};
  }
  if (const auto level = call.meta.find(kMetaLogLevel); level != call.meta.end()) {
    call.stateless_log_level = parse_log_level(*level);
    if (!call.stateless_log_level) {
      return RpcError{kInvalidParams, "Invalid log level: " + level->dump(), nullptr};
    }
  }
  return std::nullopt;
}

void Engine::Impl::dispatch(const std::shared_ptr<Call>& call) {
  const std::string& method = call->method;
  const bool task = is_task_method(method);
  // Tasks exist on 2025-11-25 and in the 2026-07-28 extension, and only where some tool can
  // run as one.
  const bool known = task ? offers_tasks() && exists_task_method(method, call->stateless) &&
                                (call->stateless || has_tool_execution(call->version))
                          : (call->stateless ? exists_stateless(method) : exists_legacy(method));
  if (!known) {
    answer(*call, rpc_error(kMethodNotFound, "Method not found: " + method));
    return;
  }
  // Resources and prompts are always served (possibly as empty lists): clients list them
  // whatever the capabilities say, and an empty list is a truthful answer. Completion needs
  // a handler to mean anything, so without one it is not offered.
  if (method == "completion/complete" && !registry.completion()) {
    answer(*call, rpc_error(kMethodNotFound,
                            "Method not found: " + method + " (the server does not offer it)"));
    return;
  }

  if (method == "initialize") {
    answer(*call, initialize(*call));
  } else if (method == "ping") {
    answer(*call, Json::object());
  } else if (method == "server/discover") {
    answer(*call, discover(*call));
  } else if (method == "logging/setLevel") {
    answer(*call, set_level(*call));
  } else if (method == "tools/list") {
    answer(*call, list_tools(*call));
  } else if (method == "resources/list") {
    answer(*call, list_resources(*call));
  } else if (method == "resources/templates/list") {
    answer(*call, list_resource_templates(*call));
  } else if (method == "prompts/list") {
    answer(*call, list_prompts(*call));
  } else if (method == "resources/subscribe") {
    answer(*call, subscribe(*call, true));
  } else if (method == "resources/unsubscribe") {
    answer(*call, subscribe(*call, false));
  } else if (method == "tools/call") {
    const auto name = call->params.find("name");
    if (name == call->params.end() || !name->is_string()) {
      answer(*call, rpc_error(kInvalidParams, "Invalid params: name is required (a string)"));
      return;
    }
    const ToolDefinition* tool = registry.find_tool(name->get<std::string>());
    if (tool == nullptr) {
      answer(*call, rpc_error(kInvalidParams, "Unknown tool: " + name->get<std::string>()));
      return;
    }
    const auto arguments = call->params.find("arguments");
    if (arguments != call->params.end() && !arguments->is_object() && !arguments->is_null()) {
      answer(*call, rpc_error(kInvalidParams, "Invalid params: arguments must be an object"));
      return;
    }
    start_async(call, tool->name, &Impl::call_tool);
  } else if (method == "resources/read") {
    start_async(call, {}, &Impl::read_resource);
  } else if (method == "prompts/get") {
    start_async(call, {}, &Impl::get_prompt);
  } else if (method == "completion/complete") {
    start_async(call, {}, &Impl::complete_argument);
  } else if (task) {
    start_async(call, {}, &Impl::task_method);
  }
}

void Engine::Impl::answer(const Call& call, Outcome outcome) const {
  if (!call.scope.channel) return;
  if (outcome) {
    call.scope.channel->respond(make_result(call.id, finish_result(call, std::move(*outcome))));
  } else {
    call.scope.channel->respond(make_error(call.id, outcome.error().code,
                                           std::move(outcome.error().message),
                                           std::move(outcome.error().data)));
  }
}

Json Engine::Impl::finish_result(const Call& call, Json result) const {
  if (!call.stateless) return result;
  if (!result.contains("resultType")) result["resultType"] = "complete";
  if (is_cacheable(call.method)) {
    // Lists change only with a restart; a resource's content may change at any moment.
    const std::int64_t ttl = call.method == "resources/read" ? 0 : options.list_ttl_ms;
    if (!result.contains("ttlMs")) result["ttlMs"] = ttl;
    // Nothing we list depends on who asks, but a resource's content might, and a shared
    // cache must never hand one caller's answer to another: private is always safe.
    if (!result.contains("cacheScope")) result["cacheScope"] = "private";
  }
  Json& meta = result["_meta"];
  if (!meta.is_object()) meta = Json::object();
  meta[std::string(kMetaServerInfo)] = server_info(call.version);
  return result;
}

void Engine::Impl::handle_notification(const Json& message, const RequestScope& scope) {
  const std::string method = message.at("method").get<std::string>();
  const Json params = message.value("params", Json::object());
  if (method == "notifications/initialized") {
    if (scope.session) scope.session->mark_initialized();
    return;
  }
  if (method == "notifications/cancelled") {
    if (!scope.session || !params.is_object()) return;
    const auto request_id = params.find("requestId");
    if (request_id == params.end() || !is_valid_id(*request_id)) return;
    const auto given = params.find("reason");
    const std::string reason = given != params.end() && given->is_string()
                                   ? given->get<std::string>()
                                   : std::string("cancelled by the client");
    // Unknown or finished ids are ignored, as the spec asks (the notification may race the
    // response). initialize is never tracked, so it cannot be cancelled.
    scope.session->cancel_request(request_key(*request_id), reason);
    return;
  }
  spdlog::debug("mcp: ignoring notification {}", method);
}

// ---------------------------------------------------------------------------------------
// Methods answered at once

Json Engine::Impl::server_info(const std::string& version) const {
  Json info{{"name", options.identity.name}, {"version", options.identity.version}};
  if (has_titles_and_structured_output(version))
    put_if_not_empty(info, "title", options.identity.title);
  return info;
}

Json Engine::Impl::capabilities(const std::string& version, bool stateless) const {
  Json caps = Json::object();
  caps["tools"] = stateless ? Json::object() : Json{{"listChanged", false}};
  caps["resources"] =
      stateless ? Json::object() : Json{{"subscribe", true}, {"listChanged", false}};
  caps["prompts"] = stateless ? Json::object() : Json{{"listChanged", false}};
  if (registry.completion()) caps["completions"] = Json::object();
  caps["logging"] = Json::object();
  if (offers_tasks()) {
    // 2026-07-28 replaces the 2025-11-25 `tasks` capability with the extension, and a server
    // must not advertise both.
    if (stateless) {
      caps["extensions"] = Json{{kTasksExtension, Json::object()}};
    } else if (has_tool_execution(version)) {
      caps["tasks"] = Json{{"list", Json::object()},
                           {"cancel", Json::object()},
                           {"requests", {{"tools", {{"call", Json::object()}}}}}};
    }
  }
  return caps;
}

Outcome Engine::Impl::initialize(const Call& call) const {
  const auto requested = call.params.find("protocolVersion");
  if (requested == call.params.end() || !requested->is_string()) {
    return rpc_error(kInvalidParams, "Invalid params: protocolVersion is required (a string)");
  }
  const Json client_caps = call.params.value("capabilities", Json::object());
  if (!client_caps.is_object()) {
    return rpc_error(kInvalidParams, "Invalid params: capabilities must be an object");
  }
  const Json client_info = call.params.value("clientInfo", Json::object());
  if (!client_info.is_object()) {
    return rpc_error(kInvalidParams, "Invalid params: clientInfo must be an object");
  }
  const auto& session = call.scope.session;
  if (!session->protocol_version().empty()) {
    return rpc_error(kInvalidRequest, "Invalid Request: the session is already initialized");
  }
  const std::string version = negotiate_protocol_version(requested->get<std::string>());
  session->set_negotiated(version, client_info, client_caps);

  Json result{{"protocolVersion", version},
              {"capabilities", capabilities(version, false)},
              {"serverInfo", server_info(version)}};
  put_if_not_empty(result, "instructions", options.identity.instructions);
  return result;
}

Outcome Engine::Impl::discover(const Call&) const {
  Json versions = Json::array();
  for (const auto& v : supported_protocol_versions()) {
    if (is_stateless_protocol_version(v)) versions.push_back(v);
  }
  Json caps = capabilities(latest_protocol_version(), true);
  Json result{{"supportedVersions", std::move(versions)}, {"capabilities", std::move(caps)}};
  put_if_not_empty(result, "instructions", options.identity.instructions);
  return result;
}

Outcome Engine::Impl::set_level(const Call& call) const {
  const auto level = call.params.find("level");
  if (level == call.params.end()) {
    return rpc_error(kInvalidParams, "Invalid params: level is required");
  }
  const auto parsed = parse_log_level(*level);
  if (!parsed) {
    return rpc_error(
        kInvalidParams,
        "Invalid log level: " + (level->is_string() ? level->get<std::string>() : level->dump()));
  }
  call.scope.session->set_log_level(*parsed);
  return Json::object();
}

Outcome Engine::Impl::list_tools(const Call& call) const {
  const bool titled = call.stateless || has_titles_and_structured_output(call.version);
  const bool execution = !call.stateless && has_tool_execution(call.version);
  return page_of(call, "tools", "tools", registry.tools(), options.page_size,
                 [&](const ToolDefinition& tool) {
                   Json out{{"name", tool.name}};
                   if (titled) put_if_not_empty(out, "title", tool.title);
                   put_if_not_empty(out, "description", tool.description);
                   out["inputSchema"] = tool.input_schema;
                   if (titled && tool.output_schema) out["outputSchema"] = *tool.output_schema;
                   if (!tool.annotations.empty()) out["annotations"] = tool.annotations;
                   if (execution && !tool.execution.empty()) out["execution"] = tool.execution;
                   if (titled && !tool.meta.empty()) out["_meta"] = tool.meta;
                   return out;
                 });
}

Outcome Engine::Impl::list_resources(const Call& call) const {
  const bool titled = call.stateless || has_titles_and_structured_output(call.version);
  return page_of(call, "resources", "resources", registry.resources(), options.page_size,
                 [&](const ResourceDefinition& resource) {
                   Json out{{"uri", resource.uri}, {"name", resource.name}};
                   if (titled) put_if_not_empty(out, "title", resource.title);
                   put_if_not_empty(out, "description", resource.description);
                   put_if_not_empty(out, "mimeType", resource.mime_type);
                   return out;
                 });
}

Outcome Engine::Impl::list_resource_templates(const Call& call) const {
  const bool titled = call.stateless || has_titles_and_structured_output(call.version);
  return page_of(
      call, "resourceTemplates", "resourceTemplates", registry.resource_templates(),
      options.page_size, [&](const ResourceTemplateDefinition& resource_template) {
        Json out{{"uriTemplate", resource_template.uri_template}, {"name", resource_template.name}};
        if (titled) put_if_not_empty(out, "title", resource_template.title);
        put_if_not_empty(out, "description", resource_template.description);
        put_if_not_empty(out, "mimeType", resource_template.mime_type);
        return out;
      });
}

Outcome Engine::Impl::list_prompts(const Call& call) const {
  const bool titled = call.stateless || has_titles_and_structured_output(call.version);
  return page_of(call, "prompts", "prompts", registry.prompts(), options.page_size,
                 [&](const PromptDefinition& prompt) {
                   Json out{{"name", prompt.name}};
                   if (titled) put_if_not_empty(out, "title", prompt.title);
                   put_if_not_empty(out, "description", prompt.description);
                   if (!prompt.arguments.empty()) {
                     Json args = Json::array();
                     for (const auto& arg : prompt.arguments) {
                       Json a{{"name", arg.name}};
                       put_if_not_empty(a, "description", arg.description);
                       a["required"] = arg.required;
                       args.push_back(std::move(a));
                     }
                     out["arguments"] = std::move(args);
                   }
                   return out;
                 });
}

Outcome Engine::Impl::subscribe(const Call& call, bool on) const {
  const auto uri = call.params.find("uri");
  if (uri == call.params.end() || !uri->is_string()) {
    return rpc_error(kInvalidParams, "Invalid params: uri is required (a string)");
  }
  if (on) {
    call.scope.session->subscribe(uri->get<std::string>());
  } else {
    call.scope.session->unsubscribe(uri->get<std::string>());
  }
  return Json::object();
}

}  // namespace shield::mcp

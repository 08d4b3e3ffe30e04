// The conformance suite's fixture prompts and the completion it asks for.
#include <map>
#include <string>

#include "fixtures.hpp"

namespace shield::conformance {
namespace {

namespace asio = boost::asio;
using mcp::Json;
using mcp::PromptDefinition;

using Arguments = std::map<std::string, std::string>;

Json user(Json content) {
  return Json{{"role", "user"}, {"content", std::move(content)}};
}

Json text(const std::string& value) {
  return Json{{"type", "text"}, {"text", value}};
}

PromptDefinition prompt(std::string name, std::string description,
                        std::vector<mcp::PromptArgument> arguments,
                        std::function<Json(const Arguments&)> messages) {
  PromptDefinition definition;
  definition.name = std::move(name);
  definition.description = std::move(description);
  definition.arguments = std::move(arguments);
  definition.get = [messages =
                        std::move(messages)](Arguments args) -> asio::awaitable<Result<Json>> {
    co_return Json{{"messages", messages(args)}};
  };
  return definition;
}

// Values offered for an argument: the fixed candidates that start with what was typed.
Json complete_from(const std::vector<std::string>& candidates, const std::string& typed) {
  Json values = Json::array();
  for (const auto& candidate : candidates) {
    if (candidate.rfind(typed, 0) == 0) values.push_back(candidate);
  }
  return values;
}

}  // namespace

void register_fixture_prompts(mcp::Registry& registry) {
  auto add = [&](PromptDefinition definition) {
    const std::string name = definition.name;
    must(registry.add_prompt(std::move(definition)), "prompt " + name);
  };
  add(prompt("test_simple_prompt", "A simple prompt without arguments", {}, [](const Arguments&) {
    return Json::array({user(text("This is a simple prompt for testing."))});
  }));
  add(prompt("test_prompt_with_arguments", "A prompt with arguments",
             {{"arg1", "First test argument", true}, {"arg2", "Second test argument", true}},
             [](const Arguments& args) {
               return Json::array({user(text("Prompt with arguments: arg1='" + args.at("arg1") +
                                             "', arg2='" + args.at("arg2") + "'"))});
             }));
  add(prompt("test_prompt_with_embedded_resource", "A prompt with an embedded resource",
             {{"resourceUri", "URI of the resource to embed", true}}, [](const Arguments& args) {
               return Json::array(
                   {user(Json{{"type", "resource"},
                              {"resource",
                               {{"uri", args.at("resourceUri")},
                                {"mimeType", "text/plain"},
                                {"text", "Embedded resource content for testing."}}}}),
                    user(text("Please process the embedded resource above."))});
             }));
  add(prompt("test_prompt_with_image", "A prompt with image content", {}, [](const Arguments&) {
    return Json::array(
        {user(Json{{"type", "image"}, {"data", kPngBase64}, {"mimeType", "image/png"}}),
         user(text("Please analyze the image above."))});
  }));

  registry.set_completion(
      [](Json ref, std::string argument, std::string value, Json) -> asio::awaitable<Result<Json>> {
        static const std::map<std::string, std::vector<std::string>> kCandidates = {
            {"arg1", {"test", "test-alpha", "test-beta", "testing", "value1"}},
            {"arg2", {"test", "test-gamma", "value2"}},
            {"resourceUri", {"test://static-text", "test://static-binary"}},
        };
        Json values = Json::array();
        if (ref.value("type", std::string()) == "ref/prompt") {
          if (auto it = kCandidates.find(argument); it != kCandidates.end()) {
            values = complete_from(it->second, value);
          }
        }
        const auto total = values.size();
        co_return Json{{"values", std::move(values)}, {"total", total}, {"hasMore", false}};
      });
}

}  // namespace shield::conformance

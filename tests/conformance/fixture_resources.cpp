// The conformance suite's fixture resources and resource template. The first listed
// resource must be readable: the caching scenario reads resources[0].
#include <map>
#include <string>

#include "fixtures.hpp"

namespace shield::conformance {
namespace {

namespace asio = boost::asio;
using mcp::Json;
using mcp::ResourceDefinition;

ResourceDefinition text_resource(std::string uri, std::string name, std::string description,
                                 std::string text) {
  ResourceDefinition resource;
  resource.uri = std::move(uri);
  resource.name = std::move(name);
  resource.description = std::move(description);
  resource.mime_type = "text/plain";
  resource.read = [text = std::move(text)](std::string read_uri) -> asio::awaitable<Result<Json>> {
    co_return Json::array({Json{{"uri", read_uri}, {"mimeType", "text/plain"}, {"text", text}}});
  };
  return resource;
}

}  // namespace

void register_fixture_resources(mcp::Registry& registry) {
  must(registry.add_resource(text_resource("test://static-text", "static-text",
                                           "A static text resource",
                                           "This is the content of the static text resource.")),
       "resource test://static-text");

  ResourceDefinition binary;
  binary.uri = "test://static-binary";
  binary.name = "static-binary";
  binary.description = "A static binary resource (a 1x1 PNG)";
  binary.mime_type = "image/png";
  binary.read = [](std::string uri) -> asio::awaitable<Result<Json>> {
    co_return Json::array({Json{{"uri", uri}, {"mimeType", "image/png"}, {"blob", kPngBase64}}});
  };
  must(registry.add_resource(std::move(binary)), "resource test://static-binary");

  must(registry.add_resource(text_resource("test://watched-resource", "watched-resource",
                                           "A resource clients may subscribe to",
                                           "Watched resource content")),
       "resource test://watched-resource");

  mcp::ResourceTemplateDefinition data;
  data.uri_template = "test://template/{id}/data";
  data.name = "template-data";
  data.description = "Data for any id, as JSON text";
  data.mime_type = "application/json";
  data.read = [](std::string uri,
                 std::map<std::string, std::string> vars) -> asio::awaitable<Result<Json>> {
    const std::string id = vars["id"];
    const Json body{{"id", id}, {"templateTest", true}, {"data", "Data for ID: " + id}};
    co_return Json::array(
        {Json{{"uri", uri}, {"mimeType", "application/json"}, {"text", body.dump()}}});
  };
  must(registry.add_resource_template(std::move(data)),
       "resource template test://template/{id}/data");
}

}  // namespace shield::conformance

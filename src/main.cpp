// shield-mcp: parses the command line, loads configuration, and hands over to app::Daemon.
#include <spdlog/spdlog.h>

#include <cstdio>
#include <exception>
#include <iostream>

#include <CLI/CLI.hpp>

#include "shield/app/daemon.hpp"
#include "shield/build_info.hpp"
#include "shield/config/config_loader.hpp"
#include "shield/util/logging.hpp"

namespace {

// Exit codes: 0 ok, 1 runtime failure (e.g. cannot bind), 2 bad configuration or usage.
constexpr int kExitRuntime = 1;
constexpr int kExitConfig = 2;

}  // namespace

int main(int argc, char** argv) {
  CLI::App cli{"shield-mcp: MCP server for crawling, ingestion and RAG backends", "shield-mcp"};
  std::string config_file;
  std::string listen;
  std::string metrics_listen;
  bool stdio = false;
  bool check_config = false;
  bool print_default = false;
  bool version = false;
  cli.add_option("--config", config_file, "TOML configuration file")->check(CLI::ExistingFile);
  cli.add_option("--listen", listen, "MCP listener HOST:PORT (default 127.0.0.1:8765)");
  cli.add_option("--metrics-listen", metrics_listen,
                 "Prometheus listener HOST:PORT (default 127.0.0.1:9090)");
  cli.add_flag("--stdio", stdio, "Serve MCP over stdin/stdout instead of HTTP");
  cli.add_flag("--check-config", check_config, "Validate the configuration and exit");
  cli.add_flag("--print-default-config", print_default,
               "Print the default configuration (documented TOML) and exit");
  cli.add_flag("--version", version, "Print the version and exit");
  try {
    cli.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return cli.exit(e) == 0 ? 0 : kExitConfig;
  }

  if (version) {
    std::cout << shield::build::kName << " " << shield::build::kVersion << "\n";
    return 0;
  }
  if (print_default) {
    std::cout << shield::config::default_config_toml();
    return 0;
  }

  shield::config::ConfigOverrides overrides;
  if (!listen.empty()) {
    auto parsed = shield::parse_host_port(listen);
    if (!parsed) {
      std::cerr << "shield-mcp: --listen: " << parsed.error().message << "\n";
      return kExitConfig;
    }
    overrides.listen = *parsed;
  }
  if (!metrics_listen.empty()) {
    auto parsed = shield::parse_host_port(metrics_listen);
    if (!parsed) {
      std::cerr << "shield-mcp: --metrics-listen: " << parsed.error().message << "\n";
      return kExitConfig;
    }
    overrides.metrics_listen = *parsed;
  }

  std::optional<std::filesystem::path> file;
  if (!config_file.empty()) file = config_file;
  auto config = shield::config::load_config(file, shield::config::process_environment());
  if (!config) {
    std::cerr << "shield-mcp: invalid configuration: " << config.error().message << "\n";
    return kExitConfig;
  }
  shield::config::apply_overrides(*config, overrides);
  if (auto valid = shield::config::validate_config(*config); !valid) {
    std::cerr << "shield-mcp: invalid configuration: " << valid.error().message << "\n";
    return kExitConfig;
  }
  if (check_config) {
    std::cout << "configuration OK" << (file ? " (" + file->string() + ")" : std::string()) << "\n";
    return 0;
  }

  if (auto logging = shield::setup_logging(config->logging.level, config->logging.format);
      !logging) {
    std::cerr << "shield-mcp: " << logging.error().message << "\n";
    return kExitConfig;
  }

  try {
    shield::app::Daemon daemon(std::move(*config));
    if (stdio) return daemon.run_stdio();
    daemon.start();
    return daemon.run();
  } catch (const std::exception& e) {
    spdlog::critical("{}", e.what());
    return kExitRuntime;
  }
}

// conformance_fixture: the shield-mcp daemon with the conformance suite's fixtures
// registered, for tests/conformance/run_conformance.sh.
//
//   conformance_fixture [--listen HOST:PORT]   (default 127.0.0.1:0, i.e. any free port)
//
// Prints "listening on http://HOST:PORT/mcp" on stdout once it accepts connections, then
// serves until SIGTERM/SIGINT.
#include <spdlog/spdlog.h>

#include <stdlib.h>

#include <cstring>
#include <exception>
#include <filesystem>
#include <iostream>
#include <string>

#include "fixtures.hpp"
#include "shield/app/daemon.hpp"
#include "shield/config/config.hpp"
#include "shield/util/host_port.hpp"
#include "shield/util/logging.hpp"

int main(int argc, char** argv) {
  std::string listen = "127.0.0.1:0";
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--listen") == 0 && i + 1 < argc) {
      listen = argv[++i];
    } else {
      std::cerr << "usage: conformance_fixture [--listen HOST:PORT]\n";
      return 2;
    }
  }
  auto address = shield::parse_host_port(listen);
  if (!address) {
    std::cerr << "conformance_fixture: --listen: " << address.error().message << "\n";
    return 2;
  }

  shield::config::Config config;
  config.server.listen = *address;
  config.server.threads = 2;
  config.metrics.enabled = false;
  config.mcp.server_name = "shield-mcp-conformance-fixture";
  // The daemon always opens a job journal; the fixture's own goes in a fresh directory, so
  // runs never share (or lock) one.
  std::string state_dir =
      (std::filesystem::temp_directory_path() / "shield-fixture-XXXXXX").string();
  if (::mkdtemp(state_dir.data()) == nullptr) {
    std::cerr << "conformance_fixture: cannot create a state directory under "
              << std::filesystem::temp_directory_path() << "\n";
    return 2;
  }
  config.jobs.state_dir = state_dir;
  struct RemoveOnExit {
    std::string path;
    ~RemoveOnExit() {
      std::error_code ignored;
      std::filesystem::remove_all(path, ignored);
    }
  } remove_state{state_dir};
  if (auto logging = shield::setup_logging("info", "text"); !logging) {
    std::cerr << "conformance_fixture: " << logging.error().message << "\n";
    return 2;
  }

  try {
    shield::app::Daemon daemon(config);
    shield::conformance::register_fixture_tools(daemon.registry());
    shield::conformance::register_fixture_task_tools(daemon.registry());
    shield::conformance::register_fixture_resources(daemon.registry());
    shield::conformance::register_fixture_prompts(daemon.registry());
    daemon.start();
    std::cout << "listening on http://" << daemon.mcp_address().to_string() << "/mcp" << std::endl;
    return daemon.run();
  } catch (const std::exception& e) {
    spdlog::critical("conformance_fixture: {}", e.what());
    return 1;
  }
}

#pragma once
// JobProgressNotices: turns the snapshots get_job_status sees while it waits into
// ToolContext::progress calls (notifications/progress when the client passed a
// progressToken).
//
// MCP requires every notification's `progress` to exceed the previous one's. A job whose
// progress has a numeric `done` reports it (with `total` when numeric), and a snapshot whose
// `done` did not grow is not reported; any other job counts one step per change it shows.
// Snapshots that show nothing new are not reported at all.
// Threading: one call's waiting loop owns it; not shared.
#include <functional>
#include <optional>
#include <string>

#include "shield/jobs/job.hpp"
#include "shield/mcp/tool.hpp"

namespace shield::tools {

class JobProgressNotices {
 public:
  using Send =
      std::function<void(double progress, std::optional<double> total, const std::string& message)>;
  explicit JobProgressNotices(Send send) : send_(std::move(send)) {}

  // A job of this daemon: message "<state>: <progress.message>".
  void notify_job(const jobs::Job& job);
  // A status answered by the orchestrator ({state, orchestrator: JobStatus}): documents
  // processed plus failed out of total.
  void notify_orchestrator_job(const mcp::Json& status);

 private:
  void notify(std::optional<double> done, std::optional<double> total, std::string message);

  Send send_;
  bool sent_ = false;
  double last_progress_ = 0;
  std::optional<double> last_done_;
  std::optional<double> last_total_;
  std::string last_message_;
};

}  // namespace shield::tools

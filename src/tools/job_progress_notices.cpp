#include "shield/tools/job_progress_notices.hpp"

#include <utility>

#include <fmt/format.h>

namespace shield::tools {
namespace {

std::optional<double> number_at(const mcp::Json& object, const char* key) {
  if (!object.is_object()) return std::nullopt;
  const auto found = object.find(key);
  if (found == object.end() || !found->is_number()) return std::nullopt;
  return found->get<double>();
}

}  // namespace

void JobProgressNotices::notify_job(const jobs::Job& job) {
  std::string message(jobs::to_string(job.state));
  if (const auto text =
          job.progress.is_object() ? job.progress.find("message") : job.progress.end();
      text != job.progress.end() && text->is_string() && !text->get<std::string>().empty()) {
    message += ": " + text->get<std::string>();
  }
  notify(number_at(job.progress, "done"), number_at(job.progress, "total"), std::move(message));
}

void JobProgressNotices::notify_orchestrator_job(const mcp::Json& status) {
  const std::string state = status.value("state", "unknown");
  const mcp::Json documents =
      status.value("orchestrator", mcp::Json::object()).value("documents", mcp::Json::object());
  const auto processed = number_at(documents, "processed");
  const auto failed = number_at(documents, "failed");
  const auto total = number_at(documents, "total");
  if (!processed || !total) {
    notify(std::nullopt, std::nullopt, state);
    return;
  }
  const double done = *processed + failed.value_or(0);
  std::string message = fmt::format("{}: {} of {} documents processed", state, *processed, *total);
  if (failed.value_or(0) > 0) message += fmt::format(", {} failed", *failed);
  notify(done, total, std::move(message));
}

void JobProgressNotices::notify(std::optional<double> done, std::optional<double> total,
                                std::string message) {
  if (!send_) return;
  if (sent_ && done == last_done_ && total == last_total_ && message == last_message_) return;
  const double progress = done ? *done : (sent_ ? last_progress_ + 1 : 0);
  if (sent_ && progress <= last_progress_) return;
  sent_ = true;
  last_progress_ = progress;
  last_done_ = done;
  last_total_ = total;
  last_message_ = std::move(message);
  send_(progress, total, last_message_);
}

}  // namespace shield::tools

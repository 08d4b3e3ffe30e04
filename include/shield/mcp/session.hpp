#pragma once
// MCP sessions of the legacy revisions (2025-03-26 .. 2025-11-25). The stateless revision
// 2026-07-28 has none: its requests carry what a session would remember in `_meta`.
//
// Threading: Session and SessionStore are safe to use from any thread (internal mutex).
// Ownership: the store owns sessions; transports hold shared_ptrs for the length of a call.
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "shield/mcp/tool.hpp"
#include "shield/util/cancellation.hpp"
#include "shield/util/clock.hpp"
#include "shield/util/error.hpp"

namespace shield::mcp {

class Session {
 public:
  Session(std::string id, Clock::TimePoint now) : id_(std::move(id)), last_seen_(now) {}

  [[nodiscard]] const std::string& id() const { return id_; }

  // Set by initialize.
  void set_negotiated(std::string version, Json client_info, Json client_capabilities);
  [[nodiscard]] std::string protocol_version() const;
  [[nodiscard]] Json client_capabilities() const;
  [[nodiscard]] Json client_info() const;

  // notifications/initialized received.
  void mark_initialized();
  [[nodiscard]] bool initialized() const;

  void set_log_level(LogLevel level);
  [[nodiscard]] LogLevel log_level() const;

  // In-flight requests, so notifications/cancelled can reach them. Key: the JSON-RPC id
  // serialised (ids may be numbers or strings: 1 and "1" are different requests).
  // Returns false (and tracks nothing) when that id is already in flight: ids must be
  // unique among a session's open requests.
  bool track_request(const std::string& id_key, CancellationSource source);
  void finish_request(const std::string& id_key);
  // Returns false when no such request is in flight (already done, or never was).
  bool cancel_request(const std::string& id_key, const std::string& reason);
  // Trips every in-flight request (session deleted, shutdown).
  void cancel_all(const std::string& reason);
  [[nodiscard]] std::size_t in_flight() const;

  // resources/subscribe and resources/unsubscribe.
  void subscribe(const std::string& uri);
  void unsubscribe(const std::string& uri);
  [[nodiscard]] bool subscribed(const std::string& uri) const;

  // Where notifications unrelated to any request go (the GET stream), if one is open.
  void set_standalone_sink(std::function<bool(const Json&)> sink);
  // Returns false when no standalone stream is open to take it.
  bool send_standalone(const Json& message);

  void touch(Clock::TimePoint now);
  [[nodiscard]] Clock::TimePoint last_seen() const;

 private:
  mutable std::mutex mutex_;
  const std::string id_;
  std::string version_;
  Json client_info_ = Json::object();
  Json client_capabilities_ = Json::object();
  bool initialized_ = false;
  LogLevel log_level_ = LogLevel::kInfo;
  std::map<std::string, CancellationSource> in_flight_;
  std::set<std::string> subscriptions_;
  std::function<bool(const Json&)> standalone_;
  Clock::TimePoint last_seen_;
};

class SessionStore {
 public:
  SessionStore(const Clock& clock, std::size_t max_sessions, Clock::Duration idle_timeout);

  // A new session with a 128-bit CSPRNG id. kResourceExhausted when the bound is reached
  // even after expiring idle sessions.
  Result<std::shared_ptr<Session>> create();
  // kNotFound for ids never issued, deleted or expired (all answered 404 by HTTP).
  // Finding a session counts as activity: it resets the idle timer.
  Result<std::shared_ptr<Session>> find(const std::string& id);
  // Ends a session (DELETE). Returns false if it did not exist.
  bool terminate(const std::string& id);
  // Drops sessions idle longer than the timeout (a session with a request in flight is not
  // idle), cancelling what they still hold; returns how many. Called periodically.
  std::size_t expire_idle();
  [[nodiscard]] std::size_t size() const;
  // Cancels everything in every session (shutdown).
  void cancel_all(const std::string& reason);

 private:
  const Clock& clock_;
  const std::size_t max_sessions_;
  const Clock::Duration idle_timeout_;
  // Removes expired sessions from the map (mutex_ held) and hands them back so their
  // requests are cancelled outside the lock.
  std::vector<std::shared_ptr<Session>> take_expired_locked(Clock::TimePoint now);
  bool is_expired(const Session& session, Clock::TimePoint now) const;

  mutable std::mutex mutex_;
  std::map<std::string, std::shared_ptr<Session>> sessions_;
};

}  // namespace shield::mcp

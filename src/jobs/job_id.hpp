#pragma once
// Internal to the jobs module: job id generation.
#include <string>

namespace shield::jobs {

// "job_" + 26 base32 characters of 128 bits from the kernel CSPRNG. Throws only when the
// kernel refuses randomness (a broken host).
std::string new_job_id();

}  // namespace shield::jobs

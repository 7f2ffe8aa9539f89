// The identity of a sweep's run: a stable hash of its resolved configuration, so a re-run sweep
// finds the runs it already made in the results database (runs.config_hash).
#pragma once

#include <string>

#include "core/config_loader.h"

namespace sm4 {

// True for keys that never change what a run computes, which the hash leaves out: where results
// go (output.*), CPU threads (train.threads) and the split `sm4 eval` scores (eval.split).
bool ignored_by_config_hash(const std::string& key);

// 64-bit FNV-1a of to_toml(config, false) without the ignored keys, as 16 lowercase hex digits.
// The same config gives the same hash in every process and on every machine; a new sm4 that adds
// config keys gives new hashes.
std::string config_hash(const ResolvedConfig& config);

}  // namespace sm4

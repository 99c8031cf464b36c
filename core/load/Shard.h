#pragma once

// Splitting one load test over several machines: `pacelab load --shard i/n` on each host (or
// pod), then `pacelab report merge`. Shards are 0-based (0/4 .. 3/4), matching a Kubernetes
// Indexed Job's JOB_COMPLETION_INDEX, so a pod passes `--shard $JOB_COMPLETION_INDEX/4`.
// --calls and --steps are per shard: n shards of 100 calls put 100·n calls on the bot at once.

#include <QString>

namespace pacelab {

struct ShardSpec
{
    int index = 0; // 0-based
    int count = 1; // 1 = not sharded
    bool sharded() const { return count > 1; }
    QString label() const; // "i/n", empty when not sharded
};

constexpr int kMaxShards = 10000;

// "i/n" with 0 <= i < n <= kMaxShards (surrounding spaces allowed). On failure *error reads
// "--shard wants INDEX/COUNT (0-based, e.g. 0/4 .. 3/4), got 'x': <why>".
bool parseShard(const QString &text, ShardSpec *shard, QString *error);

// Deterministic SIDs, distinct for every (shard, step, call): "CA"/"MZ" + 32 hex digits made of
// the shard index, shard count, step (target calls) and call index, 8 hex digits each. Two
// shards of one run never collide; the same shard run twice gives the same SIDs, so merging a
// shard's file twice is caught.
QString callSidFor(const ShardSpec &shard, int stepCalls, int callIndex);
QString streamSidFor(const ShardSpec &shard, int stepCalls, int callIndex);

} // namespace pacelab

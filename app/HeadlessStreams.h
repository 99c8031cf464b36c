#pragma once

#include "Headless.h"

#include <QString>
#include <QUrl>

namespace pacelab::app {

// `pacelab --headless --streams N --target URL`: N streams of a test tone from ONE pacing
// thread (MultiStreamSender) to URL, each learning its streamSid from the peer's `start`; one
// "[TX] streams=..." line per second across all streams, then a summary.
struct HeadlessStreamsOptions
{
    int streams = 1;
    QUrl target;
    double durationSec = 10.0;
    double toneHz = 440.0;
    double levelDbfs = -12.0;
    int phases = 0; // wheel ticks per 20 ms (0 = MultiStreamSender's default)
    QString telemetryJsonl;
    QString summaryJson;
    SenderConfig sender; // every stream's engine settings (--high-water, --no-realtime, ...)

    // The plain headless options (--target, --duration, --tone-hz, --level, --telemetry-jsonl,
    // --json) with N streams.
    static HeadlessStreamsOptions fromHeadless(const HeadlessOptions &o, int streams);
    // Empty when runnable; else the usage error (exit 2): streams 1..10000, a ws:// target, a
    // file-descriptor limit that fits N sockets.
    QString validate() const;
};

// Runs it (validate() first); exit code 0, 1 (a stream failed or a file could not be written)
// or 2 (usage).
int runHeadlessStreams(const HeadlessStreamsOptions &opts);

} // namespace pacelab::app

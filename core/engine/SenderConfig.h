#pragma once

#include "provider/Provider.h"

#include <QByteArray>
#include <functional>
#include <QList>
#include <QPair>
#include <QString>

namespace pacelab {

// Everything the paced sender can be told. Defaults follow the production checklist.
struct SenderConfig
{
    enum class StopMode { Drain, Discard };
    // AbsoluteDeadline: deadline += interval on a monotonic clock (the right pacer).
    // FixedSleep: "send, then sleep 20 ms" (relative delay) — the broken pacer that drifts under
    // load, kept so the checklist can be shown to fail.
    enum class Pacing { AbsoluteDeadline, FixedSleep };

    // tx queue (producers -> clock). 0 = unbounded (broken-twin scenarios only).
    int queueCapacity = 120;
    // Blocking producers (TTS, files, tones) wait at/above this many frames. 10 frames = 200 ms
    // ahead of the wire: enough to ride out a producer hiccup, short enough that the checklist's
    // "q mostly < 10" holds and little stale speech sits locally. The capacity (120) stays the
    // hard bound that real-time (drop-oldest) producers meet. 0 with an unbounded queue.
    int highWater = 10;
    // send queue (clock -> socket writer), in frames. Together with the tx queue this is the
    // checklist's ~4.8 s ceiling (120 + 120 frames). 0 = unbounded.
    int sendQueueCapacity = 120;

    // The media-stream protocol (message envelope, audio encoding, frame duration). Producers
    // frame audio in outboundFormat() (the profile's); frameIntervalUs follows its frameMs unless
    // set explicitly (see SessionConfig::setProvider, which also rescales the three queue bounds
    // above so that they keep meaning the same audio duration: docs/engine.md "Providers").
    provider::Id provider = provider::Id::Twilio;
    // The pacer's period. Another value than the format's frame duration is allowed (tests run
    // a fast clock) but plays audio at the wrong speed: warnings() says so.
    qint64 frameIntervalUs = 20000;
    // Late by more than this many frames -> re-anchor to now and count a late reset; so a
    // catch-up burst never exceeds this many frames.
    int maxLateFrames = 3;
    // Queue empty -> send one frame of the format's silence (160 B of mu-law for Twilio)
    // instead of nothing.
    bool comfortSilence = false;
    Pacing pacing = Pacing::AbsoluteDeadline;
    bool bypassClock = false; // demo of a bad bot: send each frame as soon as it is queued, no 20 ms clock
    // How long before a deadline the event loop wakes the sender, which then waits precisely.
    int wakeLeadUs = 2000;
    // The last part of that wait is a spin (a sleeping thread wakes tens to hundreds of µs late,
    // more in a VM); the rest is clock_nanosleep(TIMER_ABSTIME).
    int spinUs = 300;
    // 1..99: run the sender thread SCHED_FIFO at this priority (needs CAP_SYS_NICE or an
    // rtprio limit; refused -> a warning and normal priority). 0 = normal scheduling. On a
    // loaded machine this is what keeps the clock on time: no user-space trick beats the
    // scheduler.
    int realtimePriority = 0;
    // Ask for real-time scheduling for the sender thread when it starts, by whatever the system
    // allows: SCHED_FIFO (realtimePriority, or 50 when that is 0), else RealtimeKit, else a raised
    // nice value (engine/RealtimeScheduling.h). SenderEngine::scheduling() says what it got.
    bool realtime = true;

    int pingIntervalMs = 15000; // 0 = off
    // This many pings in a row without a pong -> the peer is gone (a half-open connection sends
    // no FIN): abort the socket, then reconnect (client mode, if enabled) or wait for the next
    // connection (listen mode). 0 = count missed pongs only. 3 x 15 s: a dead peer is found
    // within a minute; a peer that answers late once is not dropped.
    int maxMissedPongs = 3;
    // Socket write back-pressure: the writer stops handing frames to the socket while
    // bytesToWrite() exceeds this; the send queue then fills, the clock stops taking frames
    // (stalled frames) and the tx queue's policy (drop-oldest / back-pressure) applies.
    qint64 maxBytesToWrite = 16 * 1024;

    int dropWarnIntervalMs = 2000;
    StopMode stopMode = StopMode::Drain;
    int drainTimeoutMs = 10000; // Drain gives up (and discards) after this long

    QString telemetryJsonlPath; // empty = off; one JSON object per line, appended

    // Client mode: give up on a connection attempt (TCP + TLS + WebSocket upgrade) after this
    // long. A server that accepts but never answers, or a network that drops the SYN, would
    // otherwise leave the sender "connecting" for minutes. 0 = wait as long as the OS does.
    int connectTimeoutMs = 10000;
    // Client mode only: reconnect after a drop, with exponential backoff.
    bool reconnect = false;
    int reconnectInitialMs = 500;
    int reconnectMaxMs = 10000;
    int reconnectMaxAttempts = 0; // 0 = no limit

    QString caFile; // PEM CA certificate(s) trusted for wss:// in addition to the system ones
    QList<QPair<QByteArray, QByteArray>> extraHeaders; // added to the upgrade request

    // Called on the sender thread for every WebSocket message written (outbound = true, right
    // after the write) or received, with the steady-clock time in µs: the capture recorder's
    // hook. Keep it cheap: it runs on the 20 ms path.
    std::function<void(qint64 tUs, bool outbound, bool binary, const QByteArray &data)> messageTap;

    // The audio the producers must queue: one item = one frame of this format.
    MediaFormat outboundFormat() const;

    // Checks the numbers; returns an empty string when valid, else a specific message.
    QString validate() const;
    // Valid but probably unintended settings, one sentence each (the engine logs them as
    // warnings when it starts): a frame interval that is not the format's frame duration.
    QStringList warnings() const;
};

} // namespace pacelab

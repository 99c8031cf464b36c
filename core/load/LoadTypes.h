#pragma once

// The data contract of a load run (`pacelab load`): what the many-call emulator measures per
// call (CallResult), how a run at one call count is summarised (LoadStep) and the whole run
// (LoadRun). The emulator fills CallResult; core/load/LoadReport computes distributions, the
// verdicts, the knee and the listening-quality estimate from it and writes JSON/JUnit/HTML.
// Plain values only, so results from several machines (shards) can be merged.

#include <QJsonObject>
#include <QList>
#include <QString>

namespace pacelab {

struct CallResult
{
    int index = 0;          // 0-based call number within its step (and shard)
    QString callSid;        // CA + 32 hex; distinct per shard
    QString streamSid;      // MZ + 32 hex
    QString shard;          // "i/n" or empty

    // connection
    bool connected = false;        // the WebSocket handshake completed
    double connectMs = -1.0;       // TCP+WS handshake time, -1 when it never connected
    QString failReason;            // non-empty when the call failed to connect or dropped
    bool droppedMidCall = false;   // connected, then lost before the call's end
    double durationSec = 0.0;      // seconds the call was up

    // what the bot's audio did at "Twilio" (ArrivalAnalytics + PlayoutModel of this call)
    qint64 frames = 0;
    double audioSec = 0.0;
    double firstAudioMs = -1.0;    // from `start` to the first media frame, -1 when none
    double fpsP1 = 0.0;            // percentiles of the per-second fps over the active seconds
    double fpsP50 = 0.0;
    double fpsMin = 0.0;
    double fpsMax = 0.0;
    double jitterMs = 0.0;         // RFC 3550 jitter at the end of the call
    double jitterMaxMs = 0.0;
    double deltaP99Ms = 0.0;       // inter-arrival delta p99
    double driftPpm = 0.0;
    bool driftValid = false;
    int bursts = 0;
    double maxBufferedSec = 0.0;   // most audio waiting at the peer at any time
    int underruns = 0;
    int nonStandardFrames = 0;     // payloads other than 160 B
    int violations = 0;            // protocol violations (Twilio error codes)
    QString firstViolation;
    int marksSent = 0;             // marks the bot sent ...
    int marksEchoed = 0;           // ... and the emulator echoed after playout
    int bargeIns = 0;              // barge-in probes sent to this call
    int clears = 0;                // clears received after them
    double clearLatencyMsMax = -1.0; // worst probe→clear latency, -1 when never cleared

    // filled by LoadReport (judgeCall / estimateMos), not by the emulator
    bool pass = false;
    QString verdictReason;         // "fps p1 47 < 48", "buffered 0.72 s > 0.5 s", ...
    double mos = 0.0;              // E-model estimate (1..4.5), always labelled an estimate
    double rFactor = 0.0;

    QJsonObject toJson() const;
    // Bad input (a field of the wrong type, a count < 0) gives a default CallResult and, with
    // `error`, "<field>: <problem>"; missing fields keep their defaults.
    static CallResult fromJson(const QJsonObject &o, QString *error = nullptr);
};

// One second of a step while its calls were placed and held, from two consecutive live
// snapshots (LoadReport's RampRecorder): what a ramp's knee is read from.
struct RampSecond
{
    double atSec = 0.0;   // the later snapshot's time from the step's start
    int callsUp = 0;      // calls up at that time
    int callsJudged = 0;  // calls that could break a limit in that second (up, or newly failed)
    int callsBroken = 0;  // calls that broke a limit in that second
    QString topKey;       // the check most of them broke ("underruns", "buffered", ...; see failureKeyOf)
};

// Everything measured while N calls ran at once.
struct LoadStep
{
    int targetCalls = 0;
    int callsUp = 0;        // connected and still up at the end
    int callsFailed = 0;    // never connected or dropped
    double durationSec = 0.0;
    double cpuPerCallPct = -1.0; // the emulator's own CPU per call, -1 when unknown
    double rampPerSec = -1.0;    // calls placed per second (0 = all at once), -1 when unknown
    QList<RampSecond> ramp;      // per second while the step ran (empty when not recorded)
    QList<CallResult> calls;

    QJsonObject toJson() const;
    static LoadStep fromJson(const QJsonObject &o, QString *error = nullptr);
};

struct LoadRun
{
    QString botUrl;
    QString startedUtc;     // ISO 8601
    QString host;
    QString shard;          // "i/n" or empty; merged runs list several
    QString provider = QStringLiteral("twilio"); // the protocol every call spoke (provider::name)
    QList<LoadStep> steps;  // ascending targetCalls (a plain run has one step)

    // toJson carries "format": "pacelab-load" and "version": 1; fromJson refuses anything else
    // and names the first bad field ("steps[1].calls[3].fpsP1: expected a number").
    QJsonObject toJson() const;
    static LoadRun fromJson(const QJsonObject &o, QString *error = nullptr);
};

} // namespace pacelab

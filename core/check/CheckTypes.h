#pragma once

#include "provider/Provider.h"

#include <QHostAddress>
#include <QJsonObject>
#include <QList>
#include <QMetaType>
#include <QString>
#include <QStringList>
#include <QUrl>

// The pre-deploy checklist (docs/checklist.md) as data: what a scenario is, what
// it found, and the thresholds it judged against. UI-free; the runner and the reports use it.
namespace pacelab::check {

enum class Verdict { Pass, Fail, Error, Skipped };
QString verdictName(Verdict v); // "PASS", "FAIL", "ERROR", "SKIPPED"

struct ScenarioInfo
{
    QString id;           // "S1".."S6", "E1".."E3", "B1".."B5"
    QString title;        // "exact rate"
    QString whatItChecks; // one paragraph
    double expectedDurationSec = 0.0;
    bool botSet = false;  // test-your-bot set: PaceLab's emulator faces a bot
};

// One second of the sender's telemetry, as charted and reported (copied from the engine's
// TelemetrySnapshot so reports do not depend on engine headers).
struct TxSecond
{
    int second = 0;
    qint64 wallTimeMs = 0; // end of the second, ms since the epoch
    int fps = 0;
    int queueDepth = 0;
    int queueMax = 0;
    int drops = 0;
    quint64 dropsTotal = 0;
    int lateResets = 0;
    double latenessP50Ms = 0.0;
    double latenessP99Ms = 0.0;
    double latenessMaxMs = 0.0;
    double pingRttMs = -1.0;
    bool idle = false;

    QJsonObject toJson() const;
    static TxSecond fromJson(const QJsonObject &o);
};

// One second as the emulator (Twilio's side) saw it.
struct RxSecond
{
    int second = 0;
    int fps = 0;
    double bufferedSec = 0.0;
    double jitterMs = 0.0;
    int underruns = 0;
    int bursts = 0;
    int violations = 0;

    QJsonObject toJson() const;
    static RxSecond fromJson(const QJsonObject &o);
};

// One judged criterion of a scenario: "fps per active second (sender)" measured "49..51" limit
// "50 ± 1". The failing ones make up the result's reason.
struct Criterion
{
    QString name;
    QString measured;
    QString limit;
    bool pass = false;
    bool informational = false; // reported, not judged (e.g. RTT)

    QJsonObject toJson() const;
    static Criterion fromJson(const QJsonObject &o);
};

struct ScenarioResult
{
    QString id;
    QString title;
    Verdict verdict = Verdict::Error;
    QString reason;  // one line, with numbers
    QString details; // multi-line: every criterion, notes, log excerpts
    QJsonObject figures;
    QList<Criterion> criteria;
    QList<TxSecond> tx; // per-second sender telemetry
    QList<RxSecond> rx; // per-second arrival analytics at the emulator
    double durationSec = 0.0;
    // Chart guide lines, e.g. {"fpsMin":49,"fpsMax":51,"queueLimit":60,"bufferedMaxSec":0.5}.
    QJsonObject limits;

    bool passed() const { return verdict == Verdict::Pass; }
    QJsonObject toJson() const;
    static ScenarioResult fromJson(const QJsonObject &o);
};

enum class TargetMode {
    Embedded, // PaceLab's sender -> the built-in emulator on 127.0.0.1 (default)
    Target,   // PaceLab's sender connects to a given ws:// or wss:// peer (no emulator figures)
    Listen,   // PaceLab's sender listens like a bot; a peer (Twilio, `pacelab emulate`) connects
    Bot,      // test-your-bot: the built-in emulator connects to an external bot
};
QString targetModeName(TargetMode m);

// The checklist's numbers (docs/checklist.md says why each), each overridable.
struct Thresholds
{
    int fpsTarget = 50;
    int fpsTolerance = 1;           // S2/E1/E2/E3: 50 ± 1 in every active second
    double latenessP99MaxMs = 15.0; // S2: send lateness vs the absolute 20 ms grid
    double latenessMaxMs = 60.0;    // S2: 3 frames, the engine's re-anchor bound
    double maxDriftPpm = 1000.0;    // S2/E1/E2/E3/B2: |clock drift| of arrivals vs the 20 ms grid
    double minDriftAudioSec = 5.0;  // ... judged on at least this much audio at the peer
    // B2: a bot may start with a lead of up to 100 ms (the burst tolerance); that alone bends the
    // fit by ~1400 ppm over 5 s of audio, ~600 ppm over 7.6 s. Judged from 6.5 s of audio.
    double botMinDriftAudioSec = 6.5;
    int maxUnderruns = 0;           // E1/E2/B2: holes in the audio the caller hears
    int maxLateResets = 0;          // S2
    double dropWarnIntervalSec = 2.0; // S3: at most one drop warning per ~2 s
    int queueCapacity = 120;        // S4: tx_q bound
    int sendQueueCapacity = 120;    // S4: send_queue bound
    int steadyDepthLimit = 60;      // S4: depth < 60 ...
    double steadyDepthShare = 0.95; // ... in >= 95 % of seconds
    int frameBytes = 160;           // S5: 20 ms of 8 kHz mu-law
    double pingMinSec = 15.0;       // S6: production interval 15..20 s
    double pingMaxSec = 20.0;
    int e1Frames = 250;             // E1: 250 silence frames ...
    double e1SpanToleranceSec = 0.1; // ... arrive in 4.98 s ± this (a stall or a burst)
    double maxBufferedSec = 0.5;    // E2/B2: audio waiting at the peer
    int callDepthLimit = 10;        // E3: q < 10 ...
    double callDepthShare = 0.95;   // ... in >= 95 % of seconds
    double clearToSilenceMs = 100.0; // E3: silence at the peer within 100 ms of clear
    int botFpsTolerance = 2;        // B2: 50 ± 2
    double bargeInClearMs = 300.0;  // B4: clear within 300 ms of caller speech

    // The same checklist for another frame duration and size: fps target 1000 / frameMs (50 for
    // 20 ms frames, 10 for 100 ms), frames of format.frameBytes(), B2's tolerance scaled to the
    // rate (±2 at 50 fps, ±1 at 10), E1 5 s of frames, queue bounds and depth limits the same
    // duration in frames of the format (120 x 20 ms = 24 x 100 ms). Only values still at the
    // 20 ms mu-law defaults change, so an explicit override survives; Twilio's format changes
    // nothing.
    Thresholds forFormat(const MediaFormat &format) const;

    QJsonObject toJson() const;
};

// How long scenarios run. Defaults keep the whole checklist under ~3 minutes; tests shorten.
struct Durations
{
    double s1Sec = 6.0;
    double s2Sec = 10.0;
    double s3Sec = 7.0;
    double s4Sec = 8.0;
    double s5SecPerRate = 0.8;
    double s6Sec = 7.0;
    int s6PingIntervalMs = 2000;  // S6 runs with a short interval (and says so)
    double e2MinSpeechSec = 60.0; // E2: at least this much synthesized speech
    double e3Sec = 12.0;
    double botSec = 10.0;         // each B scenario's session (B2 judges drift from 6.5 s of talk)
    double connectTimeoutSec = 10.0;
    double listenTimeoutSec = 120.0; // --listen: wait this long for the peer to call

    QJsonObject toJson() const;
};

// Deliberately broken configurations: prove each scenario can fail.
struct BrokenTwins
{
    bool fixedSleepPacer = false;    // "sleep(20 ms) after each send"
    bool cpuLoad = false;            // burn a core while running (exposes relative sleeps)
    bool unboundedQueue = false;     // tx_q without a bound
    int frameBytes = 160;            // 320: frames of 40 ms
    bool pingsOff = false;           // no keep-alive
    bool ignoreBackPressure = false; // producers push without waiting (drop-oldest)
    bool botNeverClears = false;     // the bot ignores barge-in
    bool secondTransmitPath = false; // a second writer to the peer besides the sender thread

    bool any() const;
    QStringList names() const; // the --break names that are set
    static QStringList allNames();
    // Parses "fixed-sleep,unbounded-queue,320-byte-frames,...". Unknown names are an error.
    static bool parse(const QString &list, BrokenTwins *out, QString *error);
    QJsonObject toJson() const;
};

struct CheckConfig
{
    TargetMode mode = TargetMode::Embedded;
    QUrl targetUrl;                                    // Target
    QHostAddress listenAddress = QHostAddress::LocalHost; // Listen
    quint16 listenPort = 0;
    QUrl botUrl;        // Bot; empty with a B scenario = PaceLab's built-in reference bot
    QString caFile;     // trust this CA for wss:// (Target)
    // The protocol every scenario speaks (engine, emulator, reference bots and judges).
    provider::Id provider = provider::Id::Twilio;
    Thresholds thresholds;
    Durations durations;
    BrokenTwins broken;

    QString describeTarget() const; // "built-in emulator on 127.0.0.1", "ws://host:8080/x"...
    QJsonObject toJson() const;
};

} // namespace pacelab::check

Q_DECLARE_METATYPE(pacelab::check::ScenarioResult)

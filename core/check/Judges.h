#pragma once

#include "CheckTypes.h"

#include "emulator/ArrivalAnalytics.h"
#include "emulator/EmulatorTypes.h"
#include "emulator/PlayoutModel.h"
#include "emulator/TwilioEmulator.h"

#include <QJsonValue>
#include <QMap>
#include <optional>

// The judging half of the checklist: pure functions from a recorded observation to criteria
// and a verdict. The real-time scenarios (Scenario subclasses) only collect the observation;
// nothing in a verdict depends on when things happened except through these structs, so the
// judges are tested on synthesized timelines (tests/core/tst_check_judges.cpp).
namespace pacelab::check {

// Criteria, notes, figures and chart limits being gathered for one scenario, and the verdict
// they add up to.
class Judgement
{
public:
    void check(const QString &name, bool pass, const QString &measured, const QString &limit);
    void note(const QString &name, const QString &measured); // informational criterion
    void detail(const QString &line);
    void figure(const QString &key, const QJsonValue &value);
    void setLimit(const QString &key, double value);
    // The observation cannot be judged (nothing to judge, a precondition missing): the verdict
    // is `v` (Error or Skipped) with this reason, whatever the criteria say.
    void conclude(Verdict v, const QString &why);

    // PASS when every judged criterion passed (reason: passSummary or the measured values),
    // FAIL naming each failed criterion "name: measured (limit L)", ERROR without criteria.
    Verdict verdict(QString *reason, const QString &passSummary = {}) const;
    bool concluded() const { return m_forced.has_value(); }
    const Criterion *criterion(const QString &nameStart) const;

    QList<Criterion> criteria;
    QString details;
    QJsonObject figures;
    QJsonObject limits;

private:
    std::optional<std::pair<Verdict, QString>> m_forced;
};

// ---- what the emulator (Twilio's side) saw ---------------------------------------------------

// Media the emulator refused before analytics saw it: media messages that broke the provider's
// schema (Twilio 31951, wrong stream id, bad base64, Exotel's size rule...) and binary frames
// where the provider wants JSON (Twilio 31950, raw audio). Judged with the provider's profile.
struct RejectedMedia
{
    provider::Id provider = provider::Id::Twilio; // whose rules observe() applies
    int mediaMessages = 0; // every media message the bot sent, valid or not
    int binaryFrames = 0;  // binary frames to a provider whose media is JSON
    int rejected = 0;      // media messages refused + binary frames
    QMap<QString, int> reasons; // "31951 unexpected field 'media.track' in media" -> count
    void add(const QString &reason);
    // One message the bot sent, judged as the emulator judges it (Profile::parseFromBot with
    // the session's stream id; empty = not checked). The reason starts with the provider's
    // error code (or PaceLab's 900x for a provider without numbered errors).
    void observe(bool binary, const QByteArray &data, const QString &streamSid);
    QString firstReason() const; // the most frequent one
};

struct PeerObservation
{
    ArrivalStats stats;
    qint64 maxBufferedUs = 0;
    qint64 bufferedUs = 0; // at the end
    int underruns = 0;
    qint64 underrunTotalUs = 0;
    int marksEchoed = 0;
    int marksPending = 0;
    QList<ClearEvent> clears;
    QList<Violation> violations; // capped list
    int violationCount = 0;
    QStringList marksEchoedInOrder;
    BargeInResult bargeIn;
    RejectedMedia rejected;

    // From the analytics and the playout model directly (replayed or synthesized timelines).
    static PeerObservation fromModels(const ArrivalAnalytics &a, const PlayoutModel &p);
    static PeerObservation fromEmulator(const TwilioEmulator &emu);
};

// ---- shared criteria -----------------------------------------------------------------------

// "fps <who>: 50 ± tol in every active second".
void judgeFps(Judgement &j, const Thresholds &th, int tolerance, const QList<int> &fps, const QString &name);
// |drift| of arrivals against the 20 ms grid (least-squares fit), judged on at least
// minAudioSec of audio (default Thresholds::minDriftAudioSec), else reported as a note.
void judgeDrift(Judgement &j, const Thresholds &th, const ArrivalStats &st, const QString &name, double minAudioSec = -1);
// Underruns at the peer: holes the caller hears.
void judgeUnderruns(Judgement &j, const Thresholds &th, const PeerObservation &peer, const QString &name);

// ---- B1-B5 ---------------------------------------------------------------------------------

struct BotObservation
{
    QString id;            // "B1".."B5"
    provider::Id provider = provider::Id::Twilio; // the protocol the bot spoke
    double sessionSec = 0; // the session length judged (Durations::botSec)
    PeerObservation peer;
    double bargeInAtSec = 0;     // B4: when the caller started speaking
    double sinceBargeInSec = 0;  // B4: time between the barge-in and the judging
    bool knowsMarksSent = false; // B5: the reference bot tells which marks it sent
    QStringList marksSent;
};
void judgeBot(const BotObservation &o, const Thresholds &th, Judgement &j);

// ---- S1-S6, E1 -------------------------------------------------------------------------------

// Order of tagged frames at the peer against 0..expected-1.
struct FrameOrder
{
    int arrived = 0, missing = 0, duplicates = 0, outOfOrder = 0, foreign = 0;
    qint64 firstBad = -1;
    bool perfect() const { return missing == 0 && duplicates == 0 && outOfOrder == 0 && foreign == 0; }
    QString text(int expected) const;
    // numbers: frame tags in arrival order, -1 = untagged.
    static FrameOrder of(const QList<qint64> &numbers, qint64 expected);
};

struct S1Observation
{
    bool hasPeer = true;
    quint64 offThreadWrites = 0;
    int framesQueued = 0;
    quint64 framesSent = 0;
    int connections = 1;
    QList<qint64> arrivals; // frame tags at the peer
    QStringList marksSent;
    QStringList marksEchoed;
};
void judgeS1(const S1Observation &o, const Thresholds &th, Judgement &j);

struct S2Observation
{
    QList<int> txFps; // sender fps in whole seconds of audio
    QList<int> rxFps; // peer fps, same seconds
    double latenessP99Ms = 0, latenessMaxMs = 0;
    quint64 lateResets = 0;
    quint64 framesSent = 0;
    double finalDriftMs = 0; // the sender's own, against its grid
    bool fixedSleep = false;
    std::optional<PeerObservation> peer;
};
void judgeS2(const S2Observation &o, const Thresholds &th, Judgement &j);

struct S3Observation
{
    bool hasPeer = true;
    int bound = 120;   // the queue's configured capacity
    int bursts = 0;
    int burstSize = 0; // frames b*100000 + 0..burstSize-1 per burst
    int pushed = 0;
    quint64 drops = 0;
    QList<qint64> arrivals; // frame tags at the peer
    int queuePeak = 0;
    QStringList warnings;        // engine warnings
    QList<qint64> warningTimesMs; // when each was logged
};
void judgeS3(const S3Observation &o, const Thresholds &th, Judgement &j);

struct S4Observation
{
    int queueCapacity = 120, sendQueueCapacity = 120; // configured; 0 = unbounded
    int probePushed = 0, probeHeld = 0;
    QList<int> steadyQueueMax; // per steady-state second
    int maxSendQueue = 0;
};
void judgeS4(const S4Observation &o, const Thresholds &th, Judgement &j);

struct S5Segment
{
    int rate = 0, channels = 1;
    qint64 inputFrames = 0, expected8k = 0, got8k = 0;
    int padded = 0;
    int frames = 0, frameBytes = 160;
    int nonStandardFrames = 0; // frames of another size than Thresholds::frameBytes
    // The provider's audio: got8k/expected8k count samples at outputRate (8 kHz for Twilio).
    int bytesPerSample = 1;
    int outputRate = 8000;
};
struct S5Observation
{
    QList<S5Segment> segments;
    int pushedFrames = 0;
    qint64 pushedBytes = 0;
    std::optional<ArrivalStats> peer;
};
void judgeS5(const S5Observation &o, const Thresholds &th, Judgement &j);

struct S6Observation
{
    int productionIntervalMs = 0; // configured (0 = off)
    int testIntervalMs = 0;       // used for the run
    double windowSec = 0;
    bool tapped = true;           // pings seen on the wire (embedded)
    QList<double> pingTimesMs, pongTimesMs;
    double rttMs = -1;
    int missedPongs = 0;
};
// Also judges the configured interval (S6's first criterion).
void judgeS6(const S6Observation &o, const Thresholds &th, Judgement &j);

struct E1Observation
{
    int frames = 250; // pushed
    QList<qint64> arrivals;
    std::optional<PeerObservation> peer;
    quint64 framesSent = 0;
    QStringList warnings; // during the run
    quint64 drops = 0;
};
void judgeE1(const E1Observation &o, const Thresholds &th, Judgement &j);

// ---- E2, E3 --------------------------------------------------------------------------------

struct E2Observation
{
    double minSpeechSec = 60;
    double speechSec = 0, wallSec = 0, blockedSec = 0;
    int sentences = 0;
    QList<int> txFps, rxFps;
    int queuePeak = 0;
    int highWater = 120; // the producer's bound
    quint64 drops = 0;
    std::optional<PeerObservation> peer;
};
void judgeE2(const E2Observation &o, const Thresholds &th, Judgement &j);

struct E3Observation
{
    QList<int> txFps, rxFps;  // while the bot spoke
    QList<int> txQueueMax;    // every second of the call
    quint64 drops = 0;
    bool bargedIn = false;    // the caller spoke over the bot
    double sinceBargeInSec = 0;
    std::optional<PeerObservation> peer;
    // External peer only: the bot's own account.
    int clearsSent = 0;
    qint64 clearAfterSpeechMs = -1;
    bool neverClearsTwin = false;
    double speechQueuedSec = 0;
    int turns = 0, marks = 0;
};
void judgeE3(const E3Observation &o, const Thresholds &th, Judgement &j);

} // namespace pacelab::check

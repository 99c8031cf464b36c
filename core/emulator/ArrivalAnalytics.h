#pragma once

#include "audio/MediaFormat.h"

#include <QJsonObject>
#include <QList>
#include <QMap>
#include <QVector>
#include <deque>

namespace pacelab {

// A stretch where more audio arrived than real time allows (see ArrivalAnalytics::Config).
struct Burst
{
    qint64 startUs = 0; // arrival time of the first frame of the burst window
    int frames = 0;     // frames that arrived during the burst
    double audioMs = 0.0; // audio they carry (bytes through the stream's MediaFormat)
    double excessMs = 0.0; // peak audio ahead of real time inside the window
};

// Wireshark-style statistics of one received stream. Conventions (docs/emulator.md):
// - nominal time of a frame = audio already received in the current talk spurt (bytes turned
//   into time by Config::format: bytes / 8 ms for 8 kHz mu-law, bytes / 32 ms for 16 kHz L16),
//   i.e. frame index × frameMs for standard frames; a new spurt starts after a gap longer than
//   Config::spurtGapUs or on reanchor() (a clear).
// - skew = nominal − actual (relative to the spurt's first frame): positive = ahead of the
//   20 ms schedule (early, buffer grows), negative = behind (late, the caller starves).
// - send run: frames that arrive less than half a frame's audio after the previous one belong
//   to one run (one "send" of the bot: a paced bot sends runs of one frame, a bursty one runs
//   of a whole chunk).
// - drift: least-squares slope s of actual vs nominal time at the last frame of each send run,
//   pooled over spurts. Fitting the run ends, not every frame, keeps the long-run rate of a
//   bursty sender (one second of audio at once every second: 0 ppm) and ignores an opening
//   lead sent in one go. driftPpm = (1/s − 1) × 1e6: the rate audio arrives relative to real
//   time; negative = slow (2 % slow ≈ −20000 ppm), positive = fast. driftMs = (1 − s) ×
//   fitted nominal span: the audio the fitted clock gained (+) or lost (−) over the stream.
// - burst: more audio than real time allows, beyond Config::burstToleranceUs, either over the
//   sliding window (a sender running fast) or within one send run (a chunk at once), measured
//   against the most the stream was ahead at a run start in the last window, so catching up
//   after a stall is not a burst. A pause of at least the tolerance ends a burst: each chunk of
//   a bursty sender is its own burst.
// - jitter: RFC 3550, D = (Ri − Ri−1) − (Si − Si−1), J += (|D| − J) / 16, S = nominal time.
struct ArrivalStats
{
    qint64 frames = 0;
    qint64 bytes = 0;
    double audioMs = 0.0;
    qint64 firstArrivalUs = -1;
    qint64 lastArrivalUs = -1;
    QList<int> fpsPerSecond; // frames that arrived in second i after the origin
    int spurts = 0;

    // inter-arrival deltas (within a spurt), ms
    qint64 deltaCount = 0;
    double deltaMinMs = 0.0;
    double deltaMeanMs = 0.0;
    double deltaMaxMs = 0.0;
    double deltaP99Ms = 0.0; // from a 0.1 ms histogram (values above 2 s count as 2 s)
    qint64 deltaMaxFrame = -1; // 0-based index of the frame that ended the largest delta

    double jitterMs = 0.0;
    double jitterMaxMs = 0.0;
    double skewMs = 0.0;    // of the latest frame
    double skewMaxMs = 0.0; // the signed value of largest magnitude seen

    double driftMs = 0.0;
    double driftPpm = 0.0;
    bool driftValid = false; // needs >= 10 frames, >= 3 fitted run ends spanning >= 200 ms

    int burstCount = 0;
    QList<Burst> bursts; // first Config::maxListEntries only; burstCount keeps counting

    QMap<int, qint64> sizeHistogram; // payload bytes -> frames (sizes past 256 distinct ones under -1)
    qint64 nonStandardFrames = 0;     // payload != Config::format.frameBytes() (160 B on Twilio)
    qint64 firstNonStandardFrame = -1;

    QJsonObject toJson() const;
};

struct ArrivalAnalyticsConfig
{
    qint64 burstWindowUs = 1'000'000; // sliding window for burst detection
    qint64 burstToleranceUs = 100'000; // audio above real time tolerated in the window
    qint64 spurtGapUs = 2'000'000;     // a longer silence starts a new talk spurt
    int maxListEntries = 1000;
    // The stream's audio: bytes -> time, and the standard frame size (the provider profile's
    // outbound format; Twilio's 8 kHz mu-law, 20 ms by default).
    MediaFormat format = MediaFormat::mulaw8k();
    // A payload that is not a multiple of this counts as non-standard too (Exotel: 320); 0 = any.
    int audioSizeMultiple = 0;
};

// Fed with (arrival time, payload size in Config::format) for each media frame received, in arrival order.
// Pure and deterministic: time is passed in (steady-clock µs), so recorded timelines replay
// exactly. Memory is bounded (histograms, capped lists), whatever the stream length.
class ArrivalAnalytics
{
public:
    using Config = ArrivalAnalyticsConfig;

    ArrivalAnalytics() : ArrivalAnalytics(Config()) {}
    explicit ArrivalAnalytics(Config config);

    void reset();
    // Second 0 of fpsPerSecond starts here; default: the first arrival.
    void setOriginUs(qint64 originUs);
    // Start a new talk spurt at the next frame (after a clear: the bot restarts its schedule).
    void reanchor();
    void addFrame(qint64 arrivalUs, qsizetype payloadBytes);

    // Snapshot with the derived figures (p99, drift) brought up to date.
    ArrivalStats stats() const;
    const Config &config() const { return m_config; }
    bool inBurst() const { return m_inBurst; }

private:
    void finishSpurtFit();
    void addFitPoint(double x, double y);

    Config m_config;
    ArrivalStats m_stats;
    qint64 m_originUs = -1;
    bool m_originSet = false;

    // current spurt
    bool m_newSpurt = true;
    qint64 m_spurtStartUs = 0;
    double m_spurtNominalMs = 0.0; // audio received so far in this spurt
    qint64 m_prevArrivalUs = -1;
    qint64 m_prevAudioUs = 0;
    double m_prevNominalMs = 0.0;

    // least squares over run ends, x = nominal ms, y = actual ms (spurt-relative): per spurt
    // sums, pooled. The current run's last frame is pending until the run ends.
    double m_n = 0, m_sx = 0, m_sy = 0, m_sxx = 0, m_sxy = 0, m_firstX = 0, m_lastX = 0;
    double m_pooledN = 0, m_pooledSxx = 0, m_pooledSxy = 0, m_pooledSpanMs = 0;
    qint64 m_fitFrames = 0, m_spurtFrames = 0;
    bool m_pending = false;
    double m_pendingX = 0, m_pendingY = 0;

    // send runs: skew at the current run's start, and (time, skew) of run starts in the window
    double m_runStartSkewMs = 0.0;
    qint64 m_runStartUs = 0;
    double m_runStartNominalMs = 0.0;
    int m_runFrames = 0;
    std::deque<std::pair<qint64, double>> m_runStarts;

    double m_deltaSumMs = 0.0;
    QVector<quint32> m_deltaHist; // 0.1 ms bins, 0..2 s

    // burst window: (arrival, audio µs)
    std::deque<std::pair<qint64, qint64>> m_window;
    qint64 m_windowAudioUs = 0;
    bool m_inBurst = false;
};

} // namespace pacelab

#pragma once

#include "audio/MediaFormat.h"

#include <QJsonObject>
#include <QList>
#include <QString>
#include <deque>
#include <functional>

namespace pacelab {

struct Underrun
{
    qint64 startUs = 0;    // the buffer ran dry here
    qint64 durationUs = 0; // until audio arrived again
};

struct MarkEcho
{
    QString name;
    qint64 receivedUs = 0;
    qint64 echoedUs = 0;  // when the audio before it finished playing (or the clear time)
    bool byClear = false; // echoed because of a clear, not because it was played
};

struct ClearEvent
{
    qint64 atUs = 0;
    qint64 discardedUs = 0;   // audio thrown away (stale speech the caller was spared)
    int marksEchoed = 0;
    qint64 silenceAtUs = -1;  // first time after the clear the buffer was empty and stayed so
    qint64 clearToSilenceUs = -1; // silenceAtUs − atUs; -1 until known
};

struct PlayoutConfig
{
    // Jitter buffer: a run of audio starts playing this long after its first frame arrives
    // (again after each underrun), so arrival jitter up to this much is absorbed.
    qint64 jitterBufferUs = 40'000;
    qint64 pauseThresholdUs = 2'000'000;
    qint64 silenceHoldUs = 100'000;
    qint64 maxBufferedUs = 600'000'000; // Twilio: 10 minutes
    // More media messages than this waiting to play: further media is discarded (Vonage: 3072).
    // -1 = no limit on the count (only maxBufferedUs).
    qint64 maxBufferedMessages = -1;
    int maxListEntries = 10000;
    // The audio fed in: bytes -> playing time (Twilio's 8 kHz mu-law by default).
    MediaFormat format = MediaFormat::mulaw8k();
};

// The provider's outbound buffer (Twilio's by default) as a model: media is queued in arrival
// order and played at real time (Config::format's sample rate); nothing is played ahead or skipped. A run of audio starts playing
// Config::jitterBufferUs after its first frame arrives; "buffered" is all audio not yet played
// (so a perfectly paced stream shows one frame plus the jitter buffer).
// - underrun: the buffer ran dry and audio arrived again within Config::pauseThresholdUs (a
//   gap the caller hears as choppy audio; its length runs until playback resumes). Longer gaps
//   are pauses (the bot stopped talking), and gaps right after a clear are neither.
// - mark: echoed when all audio received before it has been played (at once if the buffer is
//   empty); clear: empties the buffer, echoes every pending mark at once (or drops them, for a
//   provider that does not echo them on a clear).
// - clear→silence: time from a clear until the buffer is empty and stays empty for
//   Config::silenceHoldUs (a bot that keeps sending after its clear is still heard).
// - more than Config::maxBufferedUs (10 min) buffered, or Config::maxBufferedMessages messages
//   waiting: further media is discarded (Twilio 31931; Vonage's 3072-message buffer).
// Pure and deterministic: all times are steady-clock µs passed in, non-decreasing.
class PlayoutModel
{
public:
    using Config = PlayoutConfig;

    PlayoutModel() : PlayoutModel(Config()) {}
    explicit PlayoutModel(Config config);

    void reset();

    // Audio of `bytes` (in Config::format) arrived at atUs, as one message. Returns false (and
    // keeps nothing) when more than maxBufferedUs is already buffered or maxBufferedMessages
    // messages wait; lastRefusal() says which.
    bool feed(qint64 atUs, qsizetype bytes);
    enum class Refusal { None, Duration, Messages };
    Refusal lastRefusal() const { return m_lastRefusal; }
    void mark(qint64 atUs, const QString &name);
    // Returns how many pending marks were echoed; echoPending = false drops them unechoed.
    int clear(qint64 atUs, bool echoPending = true);
    // Play up to toUs; fires the echo callback for marks played by then.
    void advance(qint64 toUs);

    // Called (in order) for every mark echoed, at the advance()/mark()/clear() that echoes it.
    void setEchoCallback(std::function<void(const MarkEcho &)> callback);
    // Next time something happens by itself (a mark due, playback ends, a silence confirmed):
    // lets a caller sleep until then. -1 = nothing pending.
    qint64 nextEventUs() const;

    qint64 nowUs() const { return m_nowUs; }
    qint64 bufferedUs() const;
    // When the audio received so far finishes playing (the caller last hears the bot); -1 before
    // any audio.
    qint64 audioEndsAtUs() const { return m_started ? m_playEndUs : -1; }
    double bufferedSec() const { return bufferedUs() / 1e6; }
    qint64 maxBufferedUs() const { return m_maxBufferedUs; }
    qint64 receivedAudioUs() const { return m_receivedUs; }
    qint64 playedUs() const; // playback position: audio played so far
    qint64 discardedByClearUs() const { return m_discardedByClearUs; }
    qint64 discardedOverflowBytes() const { return m_overflowBytes; }
    // Media messages not yet fully played (counted only when Config::maxBufferedMessages > 0).
    qint64 bufferedMessages() const;
    qint64 maxBufferedMessages() const { return m_maxBufferedMessages; }
    int marksDroppedByClear() const { return m_marksDropped; }
    const Config &config() const { return m_config; }
    bool isPlaying() const { return bufferedUs() > 0; }

    int underrunCount() const { return m_underrunCount; }
    qint64 underrunTotalUs() const { return m_underrunTotalUs; }
    const QList<Underrun> &underruns() const { return m_underruns; } // capped list
    int pauseCount() const { return m_pauseCount; }

    const QList<MarkEcho> &echoes() const { return m_echoes; } // capped list, in echo order
    int marksEchoed() const { return m_marksEchoed; }
    int marksPending() const { return int(m_pendingMarks.size()); }
    const QList<ClearEvent> &clears() const { return m_clears; }
    int clearCount() const { return m_clearCount; }

    QJsonObject toJson() const;

private:
    struct PendingMark
    {
        QString name;
        qint64 receivedUs;
        qint64 dueAudioUs; // receivedUs position the playhead must reach
    };
    void playTo(qint64 toUs);
    void echo(const PendingMark &m, qint64 atUs, bool byClear);

    Config m_config;
    std::function<void(const MarkEcho &)> m_echoCallback;
    qint64 m_nowUs = 0;
    bool m_started = false;

    // Audio positions in µs of audio: everything received (minus what clear discarded) vs
    // played. m_playEndUs is the wall time the current buffer would finish playing.
    // (Config::format turns bytes into µs: 1 byte of 8 kHz mu-law = 125 µs exactly.)
    qint64 m_receivedUs = 0;
    qint64 m_playStartUs = 0; // wall time the current run starts playing
    qint64 m_playEndUs = 0;   // wall time the buffered audio ends; < now means empty
    bool m_dryAfterClear = false;
    qint64 m_lastClearUs = -1;
    qint64 m_maxBufferedUs = 0;
    qint64 m_discardedByClearUs = 0;
    qint64 m_overflowBytes = 0;
    qint64 m_lastFeedUs = -1;
    Refusal m_lastRefusal = Refusal::None;
    // End positions (in m_receivedUs terms) of the messages not yet played; only kept with a
    // message limit. Mutable: pruned lazily as the playhead moves.
    mutable std::deque<qint64> m_messageEnds;
    qint64 m_maxBufferedMessages = 0;
    int m_marksDropped = 0;

    std::deque<PendingMark> m_pendingMarks;
    QList<MarkEcho> m_echoes;
    int m_marksEchoed = 0;
    QList<Underrun> m_underruns;
    int m_underrunCount = 0;
    qint64 m_underrunTotalUs = 0;
    int m_pauseCount = 0;
    QList<ClearEvent> m_clears;
    int m_clearCount = 0;
    bool m_awaitSilence = false;
};

} // namespace pacelab

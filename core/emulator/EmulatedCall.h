#pragma once

#include "ArrivalAnalytics.h"
#include "EmulatorOptions.h"
#include "EmulatorTypes.h"
#include "PerSecondRxBuilder.h"
#include "PlayoutModel.h"
#include "audio/SignalGenerator.h"

#include <QByteArray>
#include <QJsonObject>
#include <QList>
#include <QMap>
#include <QString>
#include <QStringList>
#include <memory>

namespace pacelab {

// One Twilio call's side of a bidirectional Media Stream, without a socket or a timer: the
// protocol state (connected/start, inbound media on the 20 ms grid, dtmf, mark echoes, stop),
// validation of what the bot sends (Twilio error codes), the PlayoutModel and ArrivalAnalytics
// of the bot's audio, barge-in probes and the per-second report. It is driven from outside
// with (time, message) calls and advance(time); what it sends and reports leaves through
// Events. All times are steady-clock µs, non-decreasing — so the same unit runs on a live
// socket (TwilioEmulator: one call; LoadEmulator: many calls per thread, one grid tick for all)
// and on simulated time in tests.
class EmulatedCall
{
public:
    // Where the call's output goes. Only sendToBot is needed; the rest are notifications.
    class Events
    {
    public:
        virtual ~Events() = default;
        virtual void sendToBot(const QByteArray &json) = 0; // a text message to the bot
        // Every message from the bot, as it arrives (before it is judged): the capture tap.
        virtual void received(qint64 tUs, bool binary, const QByteArray &data) { (void)tUs, (void)binary, (void)data; }
        virtual void log(const QString &level, const QString &text) { (void)level, (void)text; }
        virtual void secondTick(const PerSecondRx &rx) { (void)rx; }
        virtual void violation(const Violation &v) { (void)v; }
        virtual void markEchoed(const QString &name) { (void)name; }
        virtual void mediaReceived(const QByteArray &mulaw) { (void)mulaw; }
        virtual void clearReceived() {}
        virtual void dtmfSent(const QString &digit) { (void)digit; }
        virtual void bargeInFinished(const BargeInResult &result) { (void)result; }
    };

    explicit EmulatedCall(Events *events = nullptr);
    EmulatedCall(const EmulatedCall &) = delete; // the playout model calls back into this object
    EmulatedCall &operator=(const EmulatedCall &) = delete;

    void setEvents(Events *events) { m_events = events; }

    // The WebSocket is up: reset everything, send `connected` and `start`; advance() then sends
    // inbound frames on the grid firstFrameUs + k × 20 ms (default: now), so a many-call driver
    // can align every call to its one tick.
    void start(const EmulatorOptions &options, qint64 nowUs, qint64 firstFrameUs = -1);
    // The WebSocket is gone (or the driver ends the call): settle playout up to now, finish a
    // running barge-in probe. Results stay readable until the next start().
    void end(qint64 nowUs, const QString &reason);
    bool isActive() const { return m_active; }

    // Time passes: sends the inbound frames due, plays out, closes seconds, updates the probe.
    void advance(qint64 nowUs);
    // When advance() next has something to do (never later than the next second's end).
    qint64 nextDeadlineUs() const;

    // What the bot sent.
    void onText(qint64 nowUs, const QString &text);
    void onBinary(qint64 nowUs, const QByteArray &data);
    // A violation found outside the message parser (the WebSocket layer refused a message).
    void addViolation(int code, const QString &message, qint64 atUs);

    bool sendDtmf(const QString &digit); // 0-9 * # A-D; false when not active or invalid
    bool sendStop();
    bool stopSent() const { return m_stopSent; }
    void setCallerAudio(const CallerAudio &audio); // switch the inbound source now
    // Barge-in probe: `speech` (any rate) as caller audio from the next inbound frame, then
    // watch for clear and silence for its length + tailMs. False with *error when impossible.
    bool startBargeIn(qint64 nowUs, const PcmBuffer &speech, int tailMs, QString *error);
    bool bargeInActive() const { return m_bargeActive; }

    // Results
    const EmulatorOptions &options() const { return m_options; }
    QString streamSid() const { return m_streamSid; }
    QString callSid() const { return m_callSid; }
    QString accountSid() const { return m_accountSid; }
    qint64 startedUs() const { return m_sessionStartUs; }
    qint64 endedUs() const { return m_sessionEndUs; } // -1 while active
    double sessionSeconds(qint64 nowUs) const;
    ArrivalStats stats() const { return m_analytics.stats(); }
    const ArrivalAnalytics &analytics() const { return m_analytics; }
    const PlayoutModel &playout() const { return m_playout; }
    QList<Violation> violations() const { return m_violations; }
    int violationCount() const { return m_violationCount; }
    QList<PerSecondRx> perSecond() const { return m_perSecond; }
    BargeInResult bargeIn() const { return m_bargeIn; }
    QStringList marksEchoedInOrder() const { return m_markOrder; }
    int marksReceived() const { return m_marksReceived; }
    int clearsReceived() const { return m_clearsReceived; }
    qint64 messagesReceived() const { return m_messagesReceived; }
    qint64 inboundFramesSent() const { return m_inboundFrames; }
    qint64 lastMediaUs() const { return m_lastMediaUs; }
    const QByteArray &receivedAudio() const { return m_recorded; }
    QString endReason() const { return m_endReason; }

    // The call's part of TwilioEmulator::summaryJson()/summaryText().
    QJsonObject summaryJson(qint64 nowUs) const;
    QString summaryText(qint64 nowUs) const;

private:
    void sendText(const QByteArray &json);
    void log(const QString &level, const QString &text);
    void prepareCaller(const CallerAudio &audio);
    QByteArray nextCallerFrame(qint64 frameUs);
    void sendInboundDue(qint64 nowUs);
    void advanceTo(qint64 nowUs); // playout and seconds only
    void emitSecond(int second);
    void updateBargeIn(qint64 nowUs);
    void finishBargeIn(qint64 nowUs);
    void onMarkEcho(const MarkEcho &echo);

    Events *m_events = nullptr;
    EmulatorOptions m_options;
    bool m_active = false;
    QString m_streamSid;
    QString m_accountSid;
    QString m_callSid;
    qint64 m_sessionStartUs = 0;
    qint64 m_sessionEndUs = -1;
    qint64 m_seq = 0;
    qint64 m_chunk = 0;
    qint64 m_nextFrameUs = 0;
    qint64 m_inboundFrames = 0;
    qint64 m_lateResets = 0;
    QByteArray m_callerMulaw; // whole PCM source, encoded
    qsizetype m_callerPos = 0;
    bool m_callerLoop = true;
    CallerAudio::Kind m_callerKind = CallerAudio::Kind::Silence;
    std::unique_ptr<signal::SineSource> m_tone;
    bool m_stopSent = false;
    QString m_endReason;

    ArrivalAnalytics m_analytics;
    PlayoutModel m_playout;
    QList<Violation> m_violations;
    int m_violationCount = 0;
    QMap<int, int> m_violationsByCode;
    bool m_discarding = false;
    qint64 m_discardedFrames = 0;
    QList<PerSecondRx> m_perSecond;
    int m_nextSecond = 0;
    PerSecondRxBuilder m_secondBuilder; // counts of the current second
    QStringList m_markOrder;
    int m_marksReceived = 0;
    int m_marksEchoedByClear = 0;
    int m_clearsReceived = 0;
    qint64 m_messagesReceived = 0;
    qint64 m_lastMediaUs = -1;
    QByteArray m_recorded;
    bool m_recordTruncated = false;

    // barge-in
    BargeInResult m_bargeIn;
    bool m_bargeActive = false;
    QByteArray m_bargeSpeech;
    qsizetype m_bargePos = 0;
    int m_bargeTailMs = 3000;
    qint64 m_bargeEndUs = -1;
    qint64 m_bargePlayedAtStartUs = 0;
};

} // namespace pacelab

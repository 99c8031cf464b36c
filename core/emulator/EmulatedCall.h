#pragma once

#include "ArrivalAnalytics.h"
#include "EmulatorOptions.h"
#include "EmulatorTypes.h"
#include "PerSecondRxBuilder.h"
#include "PlayoutModel.h"
#include "audio/MediaFormat.h"
#include "audio/SignalGenerator.h"
#include "provider/Provider.h"

#include <QByteArray>
#include <QJsonObject>
#include <QList>
#include <QMap>
#include <QString>
#include <QStringList>
#include <memory>

namespace pacelab {

// One call's provider side of a bidirectional media stream, without a socket or a timer, in the
// protocol of EmulatorOptions::provider (a provider::Profile; Twilio by default): the protocol
// state (handshake, inbound media on the profile's frame grid, dtmf, mark echoes, clear
// acknowledgements, stop), validation of what the bot sends (the provider's error codes), the
// PlayoutModel (with the provider's buffer limits) and ArrivalAnalytics of the bot's audio,
// barge-in probes and the per-second report. It is driven from outside with (time, message)
// calls and advance(time); what it sends and reports leaves through Events. All times are
// steady-clock µs, non-decreasing — so the same unit runs on a live socket (TwilioEmulator: one
// call; LoadEmulator: many calls per thread, one grid tick for all) and on simulated time in tests.
class EmulatedCall
{
public:
    // Where the call's output goes. Only sendToBot is needed; the rest are notifications.
    class Events
    {
    public:
        virtual ~Events() = default;
        // A message to the bot: a text (JSON) frame or a binary one (Vonage's audio). The
        // default hands text frames to sendToBot(json); a driver that may speak a profile with
        // binary frames overrides this one.
        virtual void sendToBot(const provider::WireMessage &message)
        {
            if (!message.binary)
                sendToBot(message.data);
        }
        virtual void sendToBot(const QByteArray &json) { (void)json; } // text frames only
        // The provider ends the stream by closing the socket (a profile without a stop message,
        // or sendStop() on one).
        virtual void closeToBot(const QString &reason) { (void)reason; }
        // Every message from the bot, as it arrives (before it is judged): the capture tap.
        virtual void received(qint64 tUs, bool binary, const QByteArray &data) { (void)tUs, (void)binary, (void)data; }
        virtual void log(const QString &level, const QString &text) { (void)level, (void)text; }
        virtual void secondTick(const PerSecondRx &rx) { (void)rx; }
        virtual void violation(const Violation &v) { (void)v; }
        virtual void markEchoed(const QString &name) { (void)name; }
        // The audio of a media message, as sent (in mediaFormat(): mu-law for Twilio; decode
        // with MediaFormat::decode for PCM).
        virtual void mediaReceived(const QByteArray &audio) { (void)audio; }
        virtual void clearReceived() {}
        virtual void dtmfSent(const QString &digit) { (void)digit; }
        virtual void bargeInFinished(const BargeInResult &result) { (void)result; }
    };

    explicit EmulatedCall(Events *events = nullptr);
    EmulatedCall(const EmulatedCall &) = delete; // the playout model calls back into this object
    EmulatedCall &operator=(const EmulatedCall &) = delete;

    void setEvents(Events *events) { m_events = events; }

    // The WebSocket is up: reset everything, send the profile's handshake (Twilio: `connected`
    // and `start`); advance() then sends inbound frames on the grid firstFrameUs + k × frameMs
    // (default: now), so a many-call driver can align every call to its one tick.
    void start(const EmulatorOptions &options, qint64 nowUs, qint64 firstFrameUs = -1);
    // The WebSocket is gone (or the driver ends the call): settle playout up to now, finish a
    // running barge-in probe. Results stay readable until the next start().
    void end(qint64 nowUs, const QString &reason);
    bool isActive() const { return m_active; }

    // Time passes: sends the inbound frames due, plays out, closes seconds, updates the probe.
    void advance(qint64 nowUs);
    // When advance() next has something to do (never later than the next second's end).
    qint64 nextDeadlineUs() const;

    // What the bot sent: text or binary frames, judged by the profile.
    void onText(qint64 nowUs, const QString &text);
    void onBinary(qint64 nowUs, const QByteArray &data);
    void onMessage(qint64 nowUs, const QByteArray &data, bool binary);
    // A violation found outside the message parser (the WebSocket layer refused a message).
    void addViolation(int code, const QString &message, qint64 atUs);

    bool sendDtmf(const QString &digit); // 0-9 * # A-D; false when not active, invalid or not in the protocol
    // The profile's stop message, or (a provider that has none) closeToBot().
    bool sendStop();
    bool stopSent() const { return m_stopSent; }
    void setCallerAudio(const CallerAudio &audio); // switch the inbound source now
    // Barge-in probe: `speech` (any rate) as caller audio from the next inbound frame, then
    // watch for clear and silence for its length + tailMs. False with *error when impossible.
    bool startBargeIn(qint64 nowUs, const PcmBuffer &speech, int tailMs, QString *error);
    bool bargeInActive() const { return m_bargeActive; }

    // Results
    const EmulatorOptions &options() const { return m_options; }
    const provider::Profile &profile() const { return *m_profile; }
    // The bot's audio as it travels (what receivedAudio() and mediaReceived hold).
    MediaFormat mediaFormat() const { return m_profile->outboundFormat(); }
    // The stream's ids (Twilio streamSid/callSid/accountSid; the provider's equivalents).
    QString streamSid() const { return m_params.streamId; }
    QString callSid() const { return m_params.callId; }
    QString accountSid() const { return m_params.accountId; }
    const provider::StartParams &startParams() const { return m_params; }
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
    const QByteArray &receivedAudio() const { return m_recorded; } // in mediaFormat()
    QVector<qint16> receivedPcm() const { return mediaFormat().decode(m_recorded); }
    qint64 mediaDiscardedFrames() const { return m_discardedFrames; }
    QString endReason() const { return m_endReason; }

    // The call's part of TwilioEmulator::summaryJson()/summaryText().
    QJsonObject summaryJson(qint64 nowUs) const;
    QString summaryText(qint64 nowUs) const;

private:
    void send(const provider::WireMessage &m);
    void reportInvalid(qint64 t, const provider::ParseResult &r, const QByteArray &data, bool binary);
    void onMedia(qint64 t, const QByteArray &audio);
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
    const provider::Profile *m_profile = &provider::profile(provider::Id::Twilio);
    MediaFormat m_inFormat;  // what the caller's audio is sent in
    bool m_active = false;
    provider::StartParams m_params;
    qint64 m_sessionStartUs = 0;
    qint64 m_sessionEndUs = -1;
    qint64 m_seq = 0;
    qint64 m_chunk = 0;
    qint64 m_nextFrameUs = 0;
    qint64 m_inboundFrames = 0;
    qint64 m_lateResets = 0;
    QByteArray m_callerAudio; // whole PCM source, encoded in m_inFormat
    QByteArray m_silenceFrame;
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

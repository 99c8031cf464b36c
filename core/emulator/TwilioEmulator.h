#pragma once

#include "EmulatedCall.h"
#include "EmulatorOptions.h"
#include "EmulatorTypes.h"

#include <QByteArray>
#include <QHostAddress>
#include <QJsonObject>
#include <QList>
#include <QMap>
#include <QObject>
#include <QPair>
#include <QPointer>
#include <QString>
#include <QStringList>
#include <QUrl>
#include <QVariantMap>
#include <functional>
#include <memory>

class QWebSocket;
class QWebSocketServer;
class QTimer;

namespace pacelab {

// Behaves like Twilio (or the provider of EmulatorOptions::provider: Telnyx, Vonage, Plivo,
// Exotel) on a bidirectional media stream, over a real WebSocket: sends the handshake, paced
// inbound media (absolute deadlines on the profile's frame grid on the steady clock, woken by a
// Qt::PreciseTimer — the inbound side only needs ms accuracy), dtmf, mark echoes, clear
// acknowledgements and stop, as text or binary frames as the profile says; validates everything
// the bot sends (the profile's parseFromBot) and judges its outbound audio with
// ArrivalAnalytics and PlayoutModel. Lives in the caller's thread (GUI or a worker QThread).
// One stream at a time; in listen mode each new connection starts a fresh session.
// This class is the connection side (server/client sockets, TLS, headers, signature, the
// timer); the call's protocol state and judgement live in EmulatedCall.
class TwilioEmulator : public QObject
{
    Q_OBJECT
public:
    enum class Mode { Idle, Listening, Connecting, Streaming };
    Q_ENUM(Mode)

    explicit TwilioEmulator(QObject *parent = nullptr);
    ~TwilioEmulator() override;

    void setOptions(const EmulatorOptions &options); // takes effect at the next session
    // Called for every WebSocket message of a session: fromBot = true for what the bot sent
    // (with the arrival time the analytics use), false for what the emulator sent. The capture
    // recorder's hook (docs/capture-format.md).
    using MessageTap = std::function<void(qint64 tUs, bool fromBot, bool binary, const QByteArray &data)>;
    void setMessageTap(MessageTap tap) { m_tap = std::move(tap); }
    const EmulatorOptions &options() const { return m_options; }

    // Embedded default: PaceLab's sender (or any client) connects to us. Returns false with
    // errorString() on failure. port 0 = any free port, see serverPort().
    bool listen(const QHostAddress &address = QHostAddress::LocalHost, quint16 port = 0);
    quint16 serverPort() const;
    QUrl serverUrl() const; // ws://127.0.0.1:PORT/

    // Test-your-bot: we are the WebSocket client, like Twilio. Failures arrive as
    // errorOccurred(); returns false at once only for an unusable URL or options.
    bool connectToBot(const QUrl &url, const EmulatorOptions &options);

    // Ends the session (sends `stop` first if streaming) and stops listening.
    void stop();

    bool sendDtmf(const QString &digit); // 0-9 * # A-D; false when not streaming or invalid
    bool sendStop();
    void setCallerAudio(const CallerAudio &audio); // switch the inbound source now
    // Barge-in probe: play `speech` (8 kHz or any rate) as caller audio now, then watch for
    // clear and silence for its length + tailMs. Result in bargeIn() and bargeInFinished().
    bool startBargeIn(const PcmBuffer &speech, int tailMs = 3000);
    bool startBargeInTone(int ms, double hz = 440.0, double dbfs = -10.0, int tailMs = 3000);

    // Save what the bot sent so far as a WAV (mu-law as received, or decoded to PCM16; a stream
    // in another format is always written as PCM16 at its rate).
    bool saveRecording(const QString &path, EmulatorOptions::RecordEncoding encoding, QString *error) const;
    QByteArray receivedAudio() const { return m_call.receivedAudio(); } // in mediaFormat()
    // The format of receivedAudio() and mediaReceived: the profile's outbound format (the
    // options' provider until a session starts). MediaFormat::decode gives PCM.
    MediaFormat mediaFormat() const { return m_call.startedUs() > 0 ? m_call.mediaFormat() : provider::profile(m_options.provider).outboundFormat(); }

    Mode mode() const { return m_mode; }
    bool isStreaming() const { return m_mode == Mode::Streaming; }
    QString streamSid() const { return m_call.streamSid(); }
    QString errorString() const { return m_error; }

    ArrivalStats stats() const;
    const PlayoutModel &playout() const { return m_call.playout(); }
    QList<Violation> violations() const { return m_call.violations(); }
    int violationCount() const { return m_call.violationCount(); }
    QList<PerSecondRx> perSecond() const { return m_call.perSecond(); }
    BargeInResult bargeIn() const { return m_call.bargeIn(); }
    QStringList marksEchoedInOrder() const { return m_call.marksEchoedInOrder(); }
    double sessionSeconds() const;
    QJsonObject summaryJson() const;
    QString summaryText() const; // multi-line human summary
    // The call itself (protocol state and analytics of the current or last session).
    const EmulatedCall &call() const { return m_call; }

Q_SIGNALS:
    void clientConnected();
    void clientDisconnected(const QString &reason);
    void sessionStarted(const QString &streamSid);
    void secondTick(const pacelab::PerSecondRx &rx);
    void violation(const pacelab::Violation &v);
    void markEchoed(const QString &name);
    void mediaReceived(const QByteArray &audio); // in mediaFormat() (mu-law for Twilio)
    void clearReceived();
    void dtmfSent(const QString &digit);
    void bargeInFinished(const pacelab::BargeInResult &result);
    void logMessage(const QString &level, const QString &text);
    void errorOccurred(const QString &error);

private:
    class CallEvents;
    void onNewConnection();
    void wireSocket(QWebSocket *socket);
    void beginSession();
    void endSession(const QString &reason);
    void onTextMessage(const QString &text);
    void onBinaryMessage(const QByteArray &data);
    void onSocketError();
    void onDisconnected();
    void onTimer();
    void scheduleTimer();
    void sendMessage(const provider::WireMessage &m);
    static qint64 nowUs();
    void log(const QString &level, const QString &text);

    EmulatorOptions m_options;
    MessageTap m_tap;
    Mode m_mode = Mode::Idle;
    QString m_error;
    QWebSocketServer *m_server = nullptr;
    QPointer<QWebSocket> m_socket;
    QTimer *m_timer = nullptr;
    QTimer *m_connectTimer = nullptr;
    QUrl m_botUrl;
    bool m_clientMode = false;

    // session: the protocol and analytics live in the call; the socket state here
    std::unique_ptr<CallEvents> m_events;
    EmulatedCall m_call;
    bool m_inSession = false;
    QString m_lastSocketError;
    bool m_closing = false; // a close handshake began (either side); else the TCP link just dropped
};

// The call's received audio as a WAV file (see TwilioEmulator::saveRecording).
bool saveRecordingOf(const EmulatedCall &call, const QString &path, EmulatorOptions::RecordEncoding encoding, QString *error);

} // namespace pacelab

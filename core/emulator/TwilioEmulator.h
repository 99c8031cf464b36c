#pragma once

#include "ArrivalAnalytics.h"
#include "EmulatorTypes.h"
#include "PerSecondRxBuilder.h"
#include "PlayoutModel.h"
#include "audio/AudioFormat.h"
#include "audio/SignalGenerator.h"

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

// What the emulated caller says (inbound media to the bot). PCM is converted to 8 kHz mono
// mu-law once, up front.
struct CallerAudio
{
    enum class Kind { Silence, Tone, Pcm };
    Kind kind = Kind::Silence;
    double toneHz = 440.0;
    double toneDbfs = -12.0;
    PcmBuffer pcm;    // any rate / channels (a WAV file or a recorded call)
    bool loop = true; // Pcm: start over at the end (else silence after it)

    static CallerAudio silence();
    static CallerAudio tone(double hz, double dbfs = -12.0);
    static CallerAudio fromPcm(const PcmBuffer &pcm, bool loop = true);
    // Reads a WAV file; on failure returns false with a specific *error.
    static bool fromWavFile(const QString &path, CallerAudio *out, QString *error, bool loop = true);
};

struct EmulatorOptions
{
    // Stream identity sent in `start` (empty = generated in Twilio's shapes).
    QString streamSid;
    QString accountSid;
    QString callSid;
    QStringList tracks{QStringLiteral("inbound")};
    QVariantMap customParameters;

    CallerAudio caller;
    bool sendInboundMedia = true;

    // connectToBot only: extra headers on the upgrade request; with authToken set, an
    // X-Twilio-Signature (base64 HMAC-SHA1 of the URL keyed by the token) is added too.
    QString authToken;
    QList<QPair<QByteArray, QByteArray>> extraHeaders;
    QString caFile; // wss: trust this CA (PEM) in addition to the system ones
    int connectTimeoutMs = 10000;

    // Larger messages are refused by the WebSocket layer (no unbounded buffering) and reported.
    qint64 maxIncomingMessageBytes = 4 * 1024 * 1024;
    bool checkStreamSid = true;

    // Save what the bot sent when the session ends (empty = don't).
    enum class RecordEncoding { Mulaw, Pcm16 };
    QString recordPath;
    RecordEncoding recordEncoding = RecordEncoding::Mulaw;
    qint64 maxRecordBytes = 8000LL * 3600 * 2; // 2 h of audio, then recording stops (reported)

    ArrivalAnalytics::Config analytics;
    PlayoutModel::Config playout;
};

// Result of a barge-in probe. Latencies are from the first caller-speech frame sent; -1 =
// did not happen (within the probe window: speech + Config tail).
struct BargeInResult
{
    bool sent = false;
    bool finished = false;
    bool botWasTalking = false;   // audio was buffered or arriving when the probe began
    double bufferedAtStartSec = 0.0;
    qint64 startedUs = -1;
    bool clearReceived = false;
    double clearLatencyMs = -1;
    // The caller stops hearing the bot: buffer empty and no media for >= 100 ms.
    bool audioStopped = false;
    double audioStoppedLatencyMs = -1;
    // The bot stops sending: the last media before a >= 100 ms gap.
    double mediaStoppedLatencyMs = -1;
    double staleAudioHeardMs = 0.0; // bot audio the caller heard after the probe began
    QString verdict; // "clear after 180 ms, silent after 180 ms" / "no clear: 2.3 s of stale speech"

    QJsonObject toJson() const;
};

// Behaves like Twilio on a bidirectional Media Stream, over a real WebSocket: sends
// connected/start, paced inbound media (absolute 20 ms deadlines on the steady clock, woken by
// a Qt::PreciseTimer — the inbound side only needs ms accuracy), dtmf, mark echoes and stop;
// validates everything the bot sends (parseFromBot) and judges its outbound audio with
// ArrivalAnalytics and PlayoutModel. Lives in the caller's thread (GUI or a worker QThread).
// One stream at a time; in listen mode each new connection starts a fresh session.
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

    // Save what the bot sent so far as a WAV (mu-law as received, or decoded to PCM16).
    bool saveRecording(const QString &path, EmulatorOptions::RecordEncoding encoding, QString *error) const;
    QByteArray receivedAudio() const { return m_recorded; }

    Mode mode() const { return m_mode; }
    bool isStreaming() const { return m_mode == Mode::Streaming; }
    QString streamSid() const { return m_streamSid; }
    QString errorString() const { return m_error; }

    ArrivalStats stats() const;
    const PlayoutModel &playout() const { return m_playout; }
    QList<Violation> violations() const { return m_violations; }
    int violationCount() const { return m_violationCount; }
    QList<PerSecondRx> perSecond() const { return m_perSecond; }
    BargeInResult bargeIn() const { return m_bargeIn; }
    QStringList marksEchoedInOrder() const { return m_markOrder; }
    double sessionSeconds() const;
    QJsonObject summaryJson() const;
    QString summaryText() const; // multi-line human summary

Q_SIGNALS:
    void clientConnected();
    void clientDisconnected(const QString &reason);
    void sessionStarted(const QString &streamSid);
    void secondTick(const pacelab::PerSecondRx &rx);
    void violation(const pacelab::Violation &v);
    void markEchoed(const QString &name);
    void mediaReceived(const QByteArray &mulaw);
    void clearReceived();
    void dtmfSent(const QString &digit);
    void bargeInFinished(const pacelab::BargeInResult &result);
    void logMessage(const QString &level, const QString &text);
    void errorOccurred(const QString &error);

private:
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
    void sendInboundDue(qint64 nowUs);
    QByteArray nextCallerFrame(qint64 frameUs);
    void prepareCaller(const CallerAudio &audio);
    void addViolation(int code, const QString &message, qint64 atUs);
    void emitSecond(int second);
    void advanceTo(qint64 nowUs);
    void updateBargeIn(qint64 nowUs);
    void finishBargeIn(qint64 nowUs);
    void onMarkEcho(const MarkEcho &echo);
    void sendText(const QByteArray &json);
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

    // session
    bool m_inSession = false;
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
    QString m_lastSocketError;
    bool m_closing = false; // a close handshake began (either side); else the TCP link just dropped

    ArrivalAnalytics m_analytics;
    PlayoutModel m_playout;
    QList<Violation> m_violations;
    int m_violationCount = 0;
    QMap<int, int> m_violationsByCode;
    bool m_discarding = false;
    qint64 m_discardedFrames = 0;
    QList<PerSecondRx> m_perSecond;
    int m_nextSecond = 0;
    // counters at the start of the current second
    PerSecondRxBuilder m_secondBuilder; // counts of the current second
    QStringList m_markOrder;
    int m_marksReceived = 0;
    int m_marksEchoedByClear = 0;
    int m_clearsReceived = 0;
    qint64 m_messagesReceived = 0;
    qint64 m_lastMediaUs = -1;
    QByteArray m_recorded;
    bool m_recordTruncated = false;
    QString m_disconnectReason;

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

Q_DECLARE_METATYPE(pacelab::BargeInResult)

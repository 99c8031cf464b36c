#include "TwilioEmulator.h"

#include "audio/G711.h"
#include "audio/Resampler.h"
#include "audio/WavFile.h"

#include <QJsonArray>
#include <QNetworkRequest>
#include <QTimer>
#include <QWebSocket>
#include <QWebSocketServer>
#ifndef QT_NO_SSL
#include <QSslCertificate>
#include <QSslConfiguration>
#include <QSslError>
#endif
#include <algorithm>
#include <chrono>

namespace pacelab {

namespace {
QString ms(double v, int prec = 1)
{
    return QString::number(v, 'f', prec);
}

QString closeCodeText(int code)
{
    switch (code) {
    case QWebSocketProtocol::CloseCodeNormal: return QStringLiteral("normal");
    case QWebSocketProtocol::CloseCodeGoingAway: return QStringLiteral("going away");
    case QWebSocketProtocol::CloseCodeProtocolError: return QStringLiteral("protocol error");
    case QWebSocketProtocol::CloseCodeDatatypeNotSupported: return QStringLiteral("data type not supported");
    case QWebSocketProtocol::CloseCodeWrongDatatype: return QStringLiteral("invalid data (e.g. invalid UTF-8)");
    case QWebSocketProtocol::CloseCodePolicyViolated: return QStringLiteral("policy violated");
    case QWebSocketProtocol::CloseCodeTooMuchData: return QStringLiteral("message too big");
    case QWebSocketProtocol::CloseCodeAbnormalDisconnection: return QStringLiteral("abnormal disconnection");
    default: return QStringLiteral("code %1").arg(code);
    }
}
} // namespace

// ---- TwilioEmulator -------------------------------------------------------------------------

// The call's output: onto the socket (with the capture tap) and out as the emulator's signals.
class TwilioEmulator::CallEvents final : public EmulatedCall::Events
{
public:
    explicit CallEvents(TwilioEmulator *e) : m_e(e) {}
    void sendToBot(const provider::WireMessage &m) override { m_e->sendMessage(m); }
    void closeToBot(const QString &reason) override
    {
        if (m_e->m_socket && m_e->m_socket->state() == QAbstractSocket::ConnectedState)
            m_e->m_socket->close(QWebSocketProtocol::CloseCodeNormal, reason);
    }
    void received(qint64 tUs, bool binary, const QByteArray &data) override
    {
        if (m_e->m_tap)
            m_e->m_tap(tUs, true, binary, data);
    }
    void log(const QString &level, const QString &text) override { m_e->log(level, text); }
    void secondTick(const PerSecondRx &rx) override { Q_EMIT m_e->secondTick(rx); }
    void violation(const Violation &v) override { Q_EMIT m_e->violation(v); }
    void markEchoed(const QString &name) override { Q_EMIT m_e->markEchoed(name); }
    void mediaReceived(const QByteArray &audio) override { Q_EMIT m_e->mediaReceived(audio); }
    void clearReceived() override { Q_EMIT m_e->clearReceived(); }
    void dtmfSent(const QString &digit) override { Q_EMIT m_e->dtmfSent(digit); }
    void bargeInFinished(const BargeInResult &result) override { Q_EMIT m_e->bargeInFinished(result); }

private:
    TwilioEmulator *m_e;
};

TwilioEmulator::TwilioEmulator(QObject *parent)
    : QObject(parent)
    , m_timer(new QTimer(this))
    , m_connectTimer(new QTimer(this))
    , m_events(std::make_unique<CallEvents>(this))
    , m_call(m_events.get())
{
    // Wakes are scheduled for the next absolute deadline; PreciseTimer keeps them within ~1 ms,
    // which is plenty for the inbound (Twilio → bot) side.
    m_timer->setTimerType(Qt::PreciseTimer);
    m_timer->setSingleShot(true);
    connect(m_timer, &QTimer::timeout, this, &TwilioEmulator::onTimer);
    m_connectTimer->setSingleShot(true);
    connect(m_connectTimer, &QTimer::timeout, this, [this] {
        if (m_mode != Mode::Connecting)
            return;
        const QString err = QStringLiteral("could not connect to %1 within %2 ms")
                                .arg(m_botUrl.toDisplayString())
                                .arg(m_options.connectTimeoutMs);
        m_error = err;
        if (m_socket) {
            m_socket->disconnect(this);
            m_socket->abort();
            m_socket->deleteLater();
            m_socket = nullptr;
        }
        m_mode = Mode::Idle;
        log(QStringLiteral("error"), err);
        Q_EMIT errorOccurred(err);
    });
}

TwilioEmulator::~TwilioEmulator()
{
    if (m_socket) {
        m_socket->disconnect(this);
        m_socket->abort();
    }
}

qint64 TwilioEmulator::nowUs()
{
    return std::chrono::duration_cast<std::chrono::microseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

void TwilioEmulator::log(const QString &level, const QString &text)
{
    Q_EMIT logMessage(level, text);
}

void TwilioEmulator::setOptions(const EmulatorOptions &options)
{
    m_options = options;
}

bool TwilioEmulator::listen(const QHostAddress &address, quint16 port)
{
    stop();
    m_clientMode = false;
    m_server = new QWebSocketServer(QStringLiteral("PaceLab Twilio emulator"), QWebSocketServer::NonSecureMode, this);
    connect(m_server, &QWebSocketServer::newConnection, this, &TwilioEmulator::onNewConnection);
    if (!m_server->listen(address, port)) {
        m_error = QStringLiteral("cannot listen on %1:%2: %3").arg(address.toString()).arg(port).arg(m_server->errorString());
        m_server->deleteLater();
        m_server = nullptr;
        return false;
    }
    m_mode = Mode::Listening;
    log(QStringLiteral("info"), QStringLiteral("emulator listening on %1").arg(serverUrl().toString()));
    return true;
}

quint16 TwilioEmulator::serverPort() const
{
    return m_server ? m_server->serverPort() : 0;
}

QUrl TwilioEmulator::serverUrl() const
{
    if (!m_server)
        return QUrl();
    QHostAddress a = m_server->serverAddress();
    if (a == QHostAddress::Any || a == QHostAddress::AnyIPv4 || a == QHostAddress::AnyIPv6)
        a = QHostAddress::LocalHost;
    QUrl u;
    u.setScheme(QStringLiteral("ws"));
    u.setHost(a.toString());
    u.setPort(m_server->serverPort());
    u.setPath(QStringLiteral("/"));
    return u;
}

void TwilioEmulator::onNewConnection()
{
    while (m_server && m_server->hasPendingConnections()) {
        QWebSocket *s = m_server->nextPendingConnection();
        if (!s)
            break;
        if (m_socket) {
            log(QStringLiteral("warning"), QStringLiteral("refused a second connection from %1: one stream at a time")
                                            .arg(s->peerAddress().toString()));
            s->close(QWebSocketProtocol::CloseCodePolicyViolated, QStringLiteral("the emulator serves one stream at a time"));
            s->deleteLater();
            continue;
        }
        s->setParent(this);
        m_socket = s;
        wireSocket(s);
        log(QStringLiteral("info"), QStringLiteral("client connected from %1:%2").arg(s->peerAddress().toString()).arg(s->peerPort()));
        beginSession();
    }
}

void TwilioEmulator::wireSocket(QWebSocket *s)
{
    // Refuse absurd messages in the WebSocket layer itself: it then closes with 1009 instead
    // of buffering them (reported as a protocol violation).
    const quint64 maxMsg = quint64(std::max<qint64>(m_options.maxIncomingMessageBytes, 1024));
    s->setMaxAllowedIncomingMessageSize(maxMsg);
    s->setMaxAllowedIncomingFrameSize(maxMsg);
    connect(s, &QWebSocket::textMessageReceived, this, &TwilioEmulator::onTextMessage);
    connect(s, &QWebSocket::binaryMessageReceived, this, &TwilioEmulator::onBinaryMessage);
    connect(s, &QWebSocket::disconnected, this, &TwilioEmulator::onDisconnected);
    connect(s, &QWebSocket::aboutToClose, this, [this] { m_closing = true; });
    connect(s, qOverload<QAbstractSocket::SocketError>(&QWebSocket::error), this, &TwilioEmulator::onSocketError);
#ifndef QT_NO_SSL
    connect(s, &QWebSocket::sslErrors, this, [this](const QList<QSslError> &errors) {
        QStringList texts;
        for (const QSslError &e : errors)
            texts << e.errorString();
        const QString err = QStringLiteral("TLS error talking to %1: %2 (use a trusted certificate or --ca-file)")
                                .arg(m_botUrl.toDisplayString(), texts.join(QStringLiteral("; ")));
        m_error = err;
        log(QStringLiteral("error"), err);
        Q_EMIT errorOccurred(err);
    });
#endif
}

bool TwilioEmulator::connectToBot(const QUrl &url, const EmulatorOptions &options)
{
    const QString scheme = url.scheme().toLower();
    if (!url.isValid() || (scheme != QLatin1String("ws") && scheme != QLatin1String("wss")) || url.host().isEmpty()) {
        m_error = QStringLiteral("bot URL '%1' is not a ws:// or wss:// URL with a host").arg(url.toString());
        return false;
    }
#ifdef QT_NO_SSL
    if (scheme == QLatin1String("wss")) {
        m_error = QStringLiteral("wss:// needs TLS support, which this Qt build lacks");
        return false;
    }
#endif
    stop();
    m_options = options;
    m_clientMode = true;
    m_botUrl = url;

    const QNetworkRequest req = twilioUpgradeRequest(url, options);

    auto *s = new QWebSocket(QString(), QWebSocketProtocol::VersionLatest, this);
#ifndef QT_NO_SSL
    if (!options.caFile.isEmpty()) {
        const QList<QSslCertificate> certs = QSslCertificate::fromPath(options.caFile, QSsl::Pem);
        if (certs.isEmpty()) {
            m_error = QStringLiteral("CA file '%1' holds no PEM certificate").arg(options.caFile);
            s->deleteLater();
            return false;
        }
        QSslConfiguration ssl = QSslConfiguration::defaultConfiguration();
        ssl.addCaCertificates(certs);
        s->setSslConfiguration(ssl);
    }
#endif
    m_socket = s;
    wireSocket(s);
    connect(s, &QWebSocket::connected, this, [this] {
        m_connectTimer->stop();
        log(QStringLiteral("info"), QStringLiteral("connected to %1").arg(m_botUrl.toDisplayString()));
        beginSession();
    });
    m_mode = Mode::Connecting;
    m_connectTimer->start(std::max(1, options.connectTimeoutMs));
    s->open(req);
    return true;
}

void TwilioEmulator::setCallerAudio(const CallerAudio &audio)
{
    m_options.caller = audio;
    m_call.setCallerAudio(audio);
}

void TwilioEmulator::beginSession()
{
    m_inSession = true;
    m_lastSocketError.clear();
    m_closing = false;
    m_mode = Mode::Streaming;
    m_call.start(m_options, nowUs());
    Q_EMIT clientConnected();
    Q_EMIT sessionStarted(m_call.streamSid());
    log(QStringLiteral("info"), QStringLiteral("stream %1 started").arg(m_call.streamSid()));
    m_call.advance(nowUs()); // the first inbound frame is due now
    scheduleTimer();
}

void TwilioEmulator::sendMessage(const provider::WireMessage &m)
{
    if (m_socket && m_socket->state() == QAbstractSocket::ConnectedState) {
        if (m.binary)
            m_socket->sendBinaryMessage(m.data);
        else
            m_socket->sendTextMessage(QString::fromUtf8(m.data));
        if (m_tap)
            m_tap(nowUs(), false, m.binary, m.data);
    }
}

void TwilioEmulator::scheduleTimer()
{
    if (m_mode != Mode::Streaming)
        return;
    const qint64 delayUs = std::max<qint64>(0, m_call.nextDeadlineUs() - nowUs());
    m_timer->start(int(std::min<qint64>((delayUs + 999) / 1000, 1000)));
}

void TwilioEmulator::onTimer()
{
    if (m_mode != Mode::Streaming)
        return;
    m_call.advance(nowUs());
    scheduleTimer();
}

void TwilioEmulator::onTextMessage(const QString &text)
{
    if (m_mode != Mode::Streaming)
        return;
    m_call.onText(nowUs(), text);
    scheduleTimer();
}

void TwilioEmulator::onBinaryMessage(const QByteArray &data)
{
    if (m_mode != Mode::Streaming)
        return;
    m_call.onBinary(nowUs(), data);
    scheduleTimer();
}

void TwilioEmulator::onSocketError()
{
    if (!m_socket)
        return;
    m_lastSocketError = m_socket->errorString();
    if (m_mode == Mode::Connecting) {
        m_connectTimer->stop();
        const QString err = QStringLiteral("cannot connect to %1: %2").arg(m_botUrl.toDisplayString(), m_lastSocketError);
        m_error = err;
        m_socket->disconnect(this);
        m_socket->deleteLater();
        m_socket = nullptr;
        m_mode = Mode::Idle;
        log(QStringLiteral("error"), err);
        Q_EMIT errorOccurred(err);
    }
}

void TwilioEmulator::onDisconnected()
{
    if (!m_socket)
        return;
    if (m_mode == Mode::Connecting) {
        onSocketError();
        return;
    }
    const int code = m_socket->closeCode();
    const QString closeReason = m_socket->closeReason();
    QString reason;
    const qint64 t = nowUs();
    if (code == QWebSocketProtocol::CloseCodeTooMuchData || code == QWebSocketProtocol::CloseCodeWrongDatatype
        || code == QWebSocketProtocol::CloseCodeProtocolError) {
        // The WebSocket layer refused what the bot sent and closed the stream.
        QString what = closeReason.isEmpty() ? closeCodeText(code) : closeReason;
        if (code == QWebSocketProtocol::CloseCodeTooMuchData)
            what += QStringLiteral(" (limit %1 bytes per message)").arg(m_options.maxIncomingMessageBytes);
        if (m_mode == Mode::Streaming)
            m_call.addViolation(m_call.profile().codeFor(provider::Fault::ProtocolError), QStringLiteral("WebSocket protocol error: %1; stream closed (close code %2)").arg(what).arg(code), t);
        reason = QStringLiteral("closed after a protocol error: %1 (close code %2)").arg(what).arg(code);
    } else if (!m_closing) {
        reason = QStringLiteral("connection dropped by the peer without a close frame%1")
                     .arg(m_lastSocketError.isEmpty() ? QString() : QStringLiteral(" (%1)").arg(m_lastSocketError));
    } else {
        reason = QStringLiteral("peer closed the WebSocket (%1%2)")
                     .arg(closeCodeText(code), closeReason.isEmpty() ? QString() : QStringLiteral(": ") + closeReason);
    }
    endSession(reason);
}

void TwilioEmulator::endSession(const QString &reason)
{
    if (!m_inSession) {
        if (m_socket) {
            m_socket->disconnect(this);
            m_socket->deleteLater();
            m_socket = nullptr;
        }
        if (m_mode != Mode::Listening)
            m_mode = m_server ? Mode::Listening : Mode::Idle;
        return;
    }
    m_inSession = false;
    m_timer->stop();
    m_call.end(nowUs(), reason);
    if (m_socket) {
        m_socket->disconnect(this);
        m_socket->deleteLater();
        m_socket = nullptr;
    }
    m_mode = m_server ? Mode::Listening : Mode::Idle;
    if (!m_options.recordPath.isEmpty()) {
        QString err;
        if (saveRecording(m_options.recordPath, m_options.recordEncoding, &err))
            log(QStringLiteral("info"), QStringLiteral("recorded %1 s of received audio to %2")
                                            .arg(ms(m_call.mediaFormat().bytesToMs(m_call.receivedAudio().size()) / 1000.0, 2), m_options.recordPath));
        else
            log(QStringLiteral("error"), err);
    }
    log(QStringLiteral("info"), QStringLiteral("stream %1 ended: %2").arg(m_call.streamSid(), reason));
    Q_EMIT clientDisconnected(reason);
}

void TwilioEmulator::stop()
{
    m_connectTimer->stop();
    if (m_inSession) {
        sendStop();
        if (m_socket)
            m_socket->close(QWebSocketProtocol::CloseCodeNormal, QStringLiteral("stream stopped"));
        endSession(QStringLiteral("stopped by the emulator"));
    } else if (m_socket) {
        m_socket->disconnect(this);
        m_socket->abort();
        m_socket->deleteLater();
        m_socket = nullptr;
    }
    if (m_server) {
        m_server->close();
        m_server->deleteLater();
        m_server = nullptr;
    }
    m_mode = Mode::Idle;
}

bool TwilioEmulator::sendDtmf(const QString &digit)
{
    return m_mode == Mode::Streaming && m_call.sendDtmf(digit);
}

bool TwilioEmulator::sendStop()
{
    return m_mode == Mode::Streaming && m_call.sendStop();
}

bool TwilioEmulator::startBargeIn(const PcmBuffer &speech, int tailMs)
{
    if (m_mode != Mode::Streaming) {
        m_error = QStringLiteral("barge-in needs a running stream");
        return false;
    }
    if (!m_call.startBargeIn(nowUs(), speech, tailMs, &m_error))
        return false;
    scheduleTimer();
    return true;
}

bool TwilioEmulator::startBargeInTone(int msLen, double hz, double dbfs, int tailMs)
{
    if (msLen <= 0 || msLen > 60000) {
        m_error = QStringLiteral("barge-in tone length must be 1..60000 ms, got %1").arg(msLen);
        return false;
    }
    PcmBuffer pcm;
    pcm.sampleRate = m_call.profile().inboundFormat().sampleRate;
    pcm.samples = signal::sine(pcm.sampleRate, msLen / 1000.0, hz, dbfs);
    return startBargeIn(pcm, tailMs);
}

bool TwilioEmulator::saveRecording(const QString &path, EmulatorOptions::RecordEncoding encoding, QString *error) const
{
    return saveRecordingOf(m_call, path, encoding, error);
}

bool saveRecordingOf(const EmulatedCall &call, const QString &path, EmulatorOptions::RecordEncoding encoding, QString *error)
{
    const QByteArray &recorded = call.receivedAudio();
    const MediaFormat f = call.mediaFormat();
    QString err;
    bool ok = false;
    if (encoding == EmulatorOptions::RecordEncoding::Mulaw && f.encoding == MediaFormat::Encoding::Mulaw) {
        ok = wav::writeMulawFile(path, recorded, f.sampleRate, &err);
    } else {
        // Any other format (or asked for PCM): decoded to 16-bit PCM at the stream's rate, so
        // every recording plays in a WAV player.
        PcmBuffer pcm;
        pcm.sampleRate = f.sampleRate;
        pcm.channels = 1;
        pcm.samples = f.decode(recorded);
        ok = wav::writeFile(path, pcm, wav::Encoding::Pcm16, &err);
    }
    if (!ok && error)
        *error = QStringLiteral("cannot write recording '%1': %2").arg(path, err);
    return ok;
}

ArrivalStats TwilioEmulator::stats() const
{
    return m_call.stats();
}

double TwilioEmulator::sessionSeconds() const
{
    return m_call.sessionSeconds(nowUs());
}

QJsonObject TwilioEmulator::summaryJson() const
{
    QJsonObject o = m_call.summaryJson(nowUs());
    o[QStringLiteral("mode")] = m_clientMode ? QStringLiteral("bot") : QStringLiteral("listen");
    if (m_clientMode)
        o[QStringLiteral("botUrl")] = m_botUrl.toString();
    return o;
}

QString TwilioEmulator::summaryText() const
{
    return m_call.summaryText(nowUs());
}

} // namespace pacelab

#include "TwilioEmulator.h"

#include "audio/G711.h"
#include "audio/Resampler.h"
#include "audio/WavFile.h"
#include "twilio/TwilioMessages.h"

#include <QCryptographicHash>
#include <QJsonArray>
#include <QMessageAuthenticationCode>
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
constexpr qint64 kFrameUs = 20'000;
constexpr qint64 kMaxLateUs = 100'000;    // inbound pacer re-anchors when woken this late
constexpr qint64 kStopHoldUs = 100'000;    // "audio stopped" = silence held this long
constexpr int kMaxViolationsListed = 1000;
constexpr int kMaxSecondsListed = 24 * 3600;

QString ms(double v, int prec = 1)
{
    return QString::number(v, 'f', prec);
}

// 8 kHz mono PCM16 of any buffer (Resampler downmixes and converts the rate).
bool to8kMono(const PcmBuffer &in, QVector<qint16> *out, QString *error)
{
    if (in.sampleRate <= 0 || in.channels <= 0) {
        *error = QStringLiteral("audio has an invalid format (%1 Hz, %2 channels)").arg(in.sampleRate).arg(in.channels);
        return false;
    }
    if (in.sampleRate == kTwilioRate && in.channels == 1) {
        *out = in.samples;
        return true;
    }
    Resampler rs(in.sampleRate, in.channels, kTwilioRate);
    if (!rs.isValid()) {
        *error = rs.errorString();
        return false;
    }
    *out = rs.process(in.samples.constData(), in.frames());
    *out += rs.flush();
    return true;
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

// ---- CallerAudio / BargeInResult ------------------------------------------------------------

CallerAudio CallerAudio::silence()
{
    return CallerAudio();
}

CallerAudio CallerAudio::tone(double hz, double dbfs)
{
    CallerAudio a;
    a.kind = Kind::Tone;
    a.toneHz = hz;
    a.toneDbfs = dbfs;
    return a;
}

CallerAudio CallerAudio::fromPcm(const PcmBuffer &pcm, bool loop)
{
    CallerAudio a;
    a.kind = Kind::Pcm;
    a.pcm = pcm;
    a.loop = loop;
    return a;
}

bool CallerAudio::fromWavFile(const QString &path, CallerAudio *out, QString *error, bool loop)
{
    const wav::ReadResult r = wav::readFile(path);
    if (!r.ok) {
        *error = QStringLiteral("caller audio '%1': %2").arg(path, r.error);
        return false;
    }
    if (r.pcm.frames() == 0) {
        *error = QStringLiteral("caller audio '%1': the file holds no audio samples").arg(path);
        return false;
    }
    *out = fromPcm(r.pcm, loop);
    return true;
}

QJsonObject BargeInResult::toJson() const
{
    return QJsonObject{{QStringLiteral("sent"), sent},
                       {QStringLiteral("finished"), finished},
                       {QStringLiteral("botWasTalking"), botWasTalking},
                       {QStringLiteral("bufferedAtStartSec"), bufferedAtStartSec},
                       {QStringLiteral("clearReceived"), clearReceived},
                       {QStringLiteral("clearLatencyMs"), clearLatencyMs},
                       {QStringLiteral("audioStopped"), audioStopped},
                       {QStringLiteral("audioStoppedLatencyMs"), audioStoppedLatencyMs},
                       {QStringLiteral("mediaStoppedLatencyMs"), mediaStoppedLatencyMs},
                       {QStringLiteral("staleAudioHeardMs"), staleAudioHeardMs},
                       {QStringLiteral("verdict"), verdict}};
}

// ---- TwilioEmulator -------------------------------------------------------------------------

TwilioEmulator::TwilioEmulator(QObject *parent)
    : QObject(parent)
    , m_timer(new QTimer(this))
    , m_connectTimer(new QTimer(this))
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
    m_playout.setEchoCallback([this](const MarkEcho &e) { onMarkEcho(e); });
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

    QNetworkRequest req(url);
    for (const auto &h : options.extraHeaders)
        req.setRawHeader(h.first, h.second);
    if (!options.authToken.isEmpty()) {
        // Twilio signs the full URL (no POST parameters for a WebSocket GET) with HMAC-SHA1
        // keyed by the account's auth token, base64-encoded.
        const QByteArray sig = QMessageAuthenticationCode::hash(url.toString(QUrl::FullyEncoded).toUtf8(),
                                                                options.authToken.toUtf8(),
                                                                QCryptographicHash::Sha1)
                                   .toBase64();
        req.setRawHeader("X-Twilio-Signature", sig);
    }

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

void TwilioEmulator::prepareCaller(const CallerAudio &audio)
{
    m_callerKind = audio.kind;
    m_callerLoop = audio.loop;
    m_callerMulaw.clear();
    m_callerPos = 0;
    m_tone.reset();
    if (audio.kind == CallerAudio::Kind::Tone) {
        m_tone = std::make_unique<signal::SineSource>(kTwilioRate, audio.toneHz, audio.toneDbfs);
    } else if (audio.kind == CallerAudio::Kind::Pcm) {
        QVector<qint16> mono;
        QString err;
        if (!to8kMono(audio.pcm, &mono, &err)) {
            log(QStringLiteral("error"), QStringLiteral("caller audio unusable (%1): sending silence").arg(err));
            m_callerKind = CallerAudio::Kind::Silence;
            return;
        }
        m_callerMulaw = g711::encodeMulaw(mono.constData(), mono.size());
        if (m_callerMulaw.isEmpty())
            m_callerKind = CallerAudio::Kind::Silence;
    }
}

void TwilioEmulator::setCallerAudio(const CallerAudio &audio)
{
    m_options.caller = audio;
    prepareCaller(audio);
}

void TwilioEmulator::beginSession()
{
    m_inSession = true;
    m_streamSid = m_options.streamSid.isEmpty() ? twilio::makeSid(QStringLiteral("MZ")) : m_options.streamSid;
    m_accountSid = m_options.accountSid.isEmpty() ? twilio::makeSid(QStringLiteral("AC")) : m_options.accountSid;
    m_callSid = m_options.callSid.isEmpty() ? twilio::makeSid(QStringLiteral("CA")) : m_options.callSid;
    m_sessionStartUs = nowUs();
    m_sessionEndUs = -1;
    m_seq = 0;
    m_chunk = 0;
    m_inboundFrames = 0;
    m_lateResets = 0;
    m_stopSent = false;
    m_lastSocketError.clear();
    m_closing = false;
    m_analytics = ArrivalAnalytics(m_options.analytics);
    m_analytics.setOriginUs(m_sessionStartUs);
    m_playout = PlayoutModel(m_options.playout);
    m_playout.setEchoCallback([this](const MarkEcho &e) { onMarkEcho(e); });
    m_playout.advance(m_sessionStartUs);
    m_violations.clear();
    m_violationCount = 0;
    m_violationsByCode.clear();
    m_discarding = false;
    m_discardedFrames = 0;
    m_perSecond.clear();
    m_nextSecond = 0;
    m_secondBuilder.reset();
    m_markOrder.clear();
    m_marksReceived = 0;
    m_marksEchoedByClear = 0;
    m_clearsReceived = 0;
    m_messagesReceived = 0;
    m_lastMediaUs = -1;
    m_recorded.clear();
    m_recordTruncated = false;
    m_disconnectReason.clear();
    m_bargeIn = BargeInResult();
    m_bargeActive = false;
    m_bargeSpeech.clear();
    m_bargeEndUs = -1;
    prepareCaller(m_options.caller);

    m_mode = Mode::Streaming;
    sendText(twilio::encodeConnected());
    twilio::StartInfo info;
    info.streamSid = m_streamSid;
    info.accountSid = m_accountSid;
    info.callSid = m_callSid;
    info.tracks = m_options.tracks;
    info.customParameters = m_options.customParameters;
    sendText(twilio::encodeStart(info, ++m_seq));
    m_nextFrameUs = nowUs();
    Q_EMIT clientConnected();
    Q_EMIT sessionStarted(m_streamSid);
    log(QStringLiteral("info"), QStringLiteral("stream %1 started").arg(m_streamSid));
    sendInboundDue(nowUs());
    scheduleTimer();
}

void TwilioEmulator::sendText(const QByteArray &json)
{
    if (m_socket && m_socket->state() == QAbstractSocket::ConnectedState) {
        m_socket->sendTextMessage(QString::fromUtf8(json));
        if (m_tap)
            m_tap(nowUs(), false, false, json);
    }
}

QByteArray TwilioEmulator::nextCallerFrame(qint64 frameUs)
{
    if (m_bargePos < m_bargeSpeech.size()) {
        if (m_bargePos == 0 && m_bargeActive) {
            m_bargeIn.startedUs = frameUs;
            m_bargeEndUs = frameUs + qint64(m_bargeSpeech.size()) * 125 + qint64(m_bargeTailMs) * 1000;
        }
        QByteArray f = m_bargeSpeech.mid(m_bargePos, kFrameBytes);
        m_bargePos += kFrameBytes;
        if (f.size() < kFrameBytes)
            f.append(kFrameBytes - f.size(), char(g711::kMulawSilence));
        return f;
    }
    switch (m_callerKind) {
    case CallerAudio::Kind::Tone: {
        const QVector<qint16> s = m_tone->next(kFrameSamples);
        return g711::encodeMulaw(s.constData(), s.size());
    }
    case CallerAudio::Kind::Pcm: {
        if (m_callerPos >= m_callerMulaw.size() && m_callerLoop)
            m_callerPos = 0;
        QByteArray f = m_callerMulaw.mid(m_callerPos, kFrameBytes);
        m_callerPos += f.size();
        if (f.size() < kFrameBytes)
            f.append(kFrameBytes - f.size(), char(g711::kMulawSilence));
        return f;
    }
    case CallerAudio::Kind::Silence:
        break;
    }
    return QByteArray(kFrameBytes, char(g711::kMulawSilence));
}

void TwilioEmulator::sendInboundDue(qint64 now)
{
    if (m_mode != Mode::Streaming || m_stopSent || !m_options.sendInboundMedia)
        return;
    if (now - m_nextFrameUs > kMaxLateUs) {
        // Woken far too late (a stalled process): skip the missed slots instead of bursting.
        const qint64 missed = (now - m_nextFrameUs) / kFrameUs;
        m_nextFrameUs += missed * kFrameUs;
        m_lateResets++;
    }
    while (m_nextFrameUs <= now) {
        const QByteArray frame = nextCallerFrame(m_nextFrameUs);
        const qint64 tsMs = (m_nextFrameUs - m_sessionStartUs) / 1000;
        sendText(twilio::encodeInboundMedia(m_streamSid, ++m_seq, ++m_chunk, tsMs, frame));
        m_inboundFrames++;
        m_nextFrameUs += kFrameUs;
    }
}

void TwilioEmulator::scheduleTimer()
{
    if (m_mode != Mode::Streaming)
        return;
    const qint64 now = nowUs();
    qint64 next = m_sessionStartUs + qint64(m_nextSecond + 1) * 1'000'000;
    auto consider = [&next](qint64 t) {
        if (t >= 0 && t < next)
            next = t;
    };
    if (m_options.sendInboundMedia && !m_stopSent)
        consider(m_nextFrameUs);
    consider(m_playout.nextEventUs());
    if (m_bargeActive && m_bargeIn.startedUs >= 0) {
        consider(m_bargeEndUs);
        if (m_lastMediaUs >= 0)
            consider(m_lastMediaUs + kStopHoldUs);
        const qint64 end = m_playout.audioEndsAtUs();
        if (end >= 0)
            consider(std::max(end, m_bargeIn.startedUs) + kStopHoldUs);
    }
    const qint64 delayUs = std::max<qint64>(0, next - now);
    m_timer->start(int(std::min<qint64>((delayUs + 999) / 1000, 1000)));
}

void TwilioEmulator::onTimer()
{
    if (m_mode != Mode::Streaming)
        return;
    const qint64 now = nowUs();
    sendInboundDue(now);
    advanceTo(now);
    scheduleTimer();
}

void TwilioEmulator::advanceTo(qint64 now)
{
    // Per-second records see the buffer as it was at the second's boundary.
    while (now >= m_sessionStartUs + qint64(m_nextSecond + 1) * 1'000'000) {
        const qint64 boundary = m_sessionStartUs + qint64(m_nextSecond + 1) * 1'000'000;
        m_playout.advance(boundary);
        emitSecond(m_nextSecond);
        m_nextSecond++;
    }
    m_playout.advance(now);
    updateBargeIn(now);
}

void TwilioEmulator::emitSecond(int second)
{
    const PerSecondRx rx = m_secondBuilder.next(second, m_analytics.stats(), m_playout, m_violationCount);
    if (m_perSecond.size() < kMaxSecondsListed)
        m_perSecond.append(rx);
    Q_EMIT secondTick(rx);
}

void TwilioEmulator::addViolation(int code, const QString &message, qint64 atUs)
{
    Violation v;
    v.code = code;
    v.message = message;
    v.timeUs = atUs;
    v.sessionSec = (atUs - m_sessionStartUs) / 1e6;
    m_violationCount++;
    m_violationsByCode[code]++;
    if (m_violations.size() < kMaxViolationsListed)
        m_violations.append(v);
    log(QStringLiteral("warning"), QStringLiteral("violation %1 at %2 s: %3").arg(code).arg(ms(v.sessionSec, 3), message));
    Q_EMIT violation(v);
}

void TwilioEmulator::onMarkEcho(const MarkEcho &e)
{
    if (e.byClear)
        m_marksEchoedByClear++;
    m_markOrder.append(e.name);
    sendText(twilio::encodeMarkEcho(m_streamSid, ++m_seq, e.name));
    Q_EMIT markEchoed(e.name);
}

void TwilioEmulator::onTextMessage(const QString &text)
{
    if (m_mode != Mode::Streaming)
        return;
    const qint64 t = nowUs();
    m_messagesReceived++;
    advanceTo(t);
    const QByteArray utf8 = text.toUtf8();
    if (m_tap)
        m_tap(t, true, false, utf8);
    const twilio::ParseResult r = twilio::parseFromBot(utf8, m_options.checkStreamSid ? m_streamSid : QString());
    if (!r.ok()) {
        const int code = r.twilioCode != twilio::NoError ? r.twilioCode : int(twilio::InvalidMessage);
        QString shown = text.left(120);
        shown.replace(QLatin1Char('\n'), QLatin1Char(' '));
        addViolation(code, QStringLiteral("%1 (message %2: %3%4)")
                               .arg(r.detail)
                               .arg(m_messagesReceived)
                               .arg(shown, text.size() > 120 ? QStringLiteral("…") : QString()),
                     t);
        scheduleTimer();
        return;
    }
    switch (r.message.event) {
    case twilio::Event::Media: {
        const QByteArray &payload = r.message.payload;
        if (!m_playout.feed(t, payload.size())) {
            m_discardedFrames++;
            if (!m_discarding) {
                m_discarding = true;
                addViolation(twilio::MediaDiscarded,
                             QStringLiteral("media discarded: more than %1 s of audio buffered")
                                 .arg(m_options.playout.maxBufferedUs / 1'000'000),
                             t);
            }
            break;
        }
        m_discarding = false;
        m_analytics.addFrame(t, payload.size());
        m_lastMediaUs = t;
        if (!m_recordTruncated) {
            if (m_recorded.size() + payload.size() <= m_options.maxRecordBytes) {
                m_recorded += payload;
            } else {
                m_recordTruncated = true;
                log(QStringLiteral("warning"), QStringLiteral("recording stopped at %1 s of audio (limit)")
                                                .arg(m_recorded.size() / 8000));
            }
        }
        Q_EMIT mediaReceived(payload);
        break;
    }
    case twilio::Event::Mark:
        m_marksReceived++;
        m_playout.mark(t, r.message.markName);
        break;
    case twilio::Event::Clear:
        m_clearsReceived++;
        m_analytics.reanchor();
        m_playout.clear(t);
        if (m_bargeActive && m_bargeIn.startedUs >= 0 && !m_bargeIn.clearReceived && t >= m_bargeIn.startedUs) {
            m_bargeIn.clearReceived = true;
            m_bargeIn.clearLatencyMs = (t - m_bargeIn.startedUs) / 1000.0;
        }
        log(QStringLiteral("info"), QStringLiteral("clear received at %1 s").arg(ms((t - m_sessionStartUs) / 1e6, 3)));
        Q_EMIT clearReceived();
        break;
    default:
        break;
    }
    updateBargeIn(t);
    scheduleTimer();
}

void TwilioEmulator::onBinaryMessage(const QByteArray &data)
{
    if (m_mode != Mode::Streaming)
        return;
    const qint64 t = nowUs();
    m_messagesReceived++;
    advanceTo(t);
    if (m_tap)
        m_tap(t, true, true, data);
    const twilio::ParseResult r = twilio::binaryFrameFromBot(data.size());
    addViolation(r.twilioCode, r.detail, t);
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
            addViolation(twilio::ProtocolError, QStringLiteral("WebSocket protocol error: %1; stream closed (close code %2)").arg(what).arg(code), t);
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
    const qint64 t = nowUs();
    m_timer->stop();
    advanceTo(t);
    if (m_bargeActive)
        finishBargeIn(t);
    m_sessionEndUs = t;
    m_disconnectReason = reason;
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
                                            .arg(ms(m_recorded.size() / 8000.0, 2), m_options.recordPath));
        else
            log(QStringLiteral("error"), err);
    }
    log(QStringLiteral("info"), QStringLiteral("stream %1 ended: %2").arg(m_streamSid, reason));
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
    static const QString valid = QStringLiteral("0123456789*#ABCD");
    if (m_mode != Mode::Streaming || digit.size() != 1 || !valid.contains(digit.toUpper()))
        return false;
    sendText(twilio::encodeDtmf(m_streamSid, ++m_seq, digit.toUpper()));
    Q_EMIT dtmfSent(digit.toUpper());
    return true;
}

bool TwilioEmulator::sendStop()
{
    if (m_mode != Mode::Streaming || m_stopSent)
        return false;
    sendText(twilio::encodeStop(m_streamSid, ++m_seq, m_accountSid, m_callSid));
    m_stopSent = true;
    return true;
}

bool TwilioEmulator::startBargeIn(const PcmBuffer &speech, int tailMs)
{
    if (m_mode != Mode::Streaming || m_stopSent || !m_options.sendInboundMedia) {
        m_error = QStringLiteral("barge-in needs a running stream");
        return false;
    }
    QVector<qint16> mono;
    QString err;
    if (!to8kMono(speech, &mono, &err) || mono.isEmpty()) {
        m_error = QStringLiteral("barge-in speech unusable: %1").arg(err.isEmpty() ? QStringLiteral("no samples") : err);
        return false;
    }
    const qint64 now = nowUs();
    advanceTo(now);
    m_bargeIn = BargeInResult();
    m_bargeIn.sent = true;
    m_bargeIn.bufferedAtStartSec = m_playout.bufferedSec();
    m_bargeIn.botWasTalking = m_playout.bufferedUs() > 0 || (m_lastMediaUs >= 0 && now - m_lastMediaUs < kStopHoldUs);
    m_bargeSpeech = g711::encodeMulaw(mono.constData(), mono.size());
    m_bargePos = 0;
    m_bargeTailMs = std::max(0, tailMs);
    m_bargeEndUs = -1;
    m_bargePlayedAtStartUs = m_playout.playedUs();
    m_bargeActive = true;
    log(QStringLiteral("info"), QStringLiteral("barge-in: %1 ms of caller speech (bot %2, %3 s buffered)")
                                    .arg(mono.size() / 8)
                                    .arg(m_bargeIn.botWasTalking ? QStringLiteral("talking") : QStringLiteral("silent"))
                                    .arg(ms(m_bargeIn.bufferedAtStartSec, 2)));
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
    pcm.samples = signal::sine(kTwilioRate, msLen / 1000.0, hz, dbfs);
    return startBargeIn(pcm, tailMs);
}

void TwilioEmulator::updateBargeIn(qint64 now)
{
    if (!m_bargeActive || m_bargeIn.startedUs < 0)
        return;
    const qint64 start = m_bargeIn.startedUs;
    const qint64 end = m_playout.audioEndsAtUs();
    const qint64 silentFrom = std::max(end, start);
    if (m_playout.bufferedUs() == 0 && now >= silentFrom + kStopHoldUs
        && (m_lastMediaUs < 0 || now - m_lastMediaUs >= kStopHoldUs)) {
        m_bargeIn.audioStopped = true;
        m_bargeIn.audioStoppedLatencyMs = (silentFrom - start) / 1000.0;
        finishBargeIn(now);
        return;
    }
    if (m_bargeEndUs >= 0 && now >= m_bargeEndUs)
        finishBargeIn(now);
}

void TwilioEmulator::finishBargeIn(qint64 now)
{
    if (!m_bargeActive)
        return;
    m_bargeActive = false;
    m_bargeIn.finished = true;
    if (m_bargeIn.startedUs >= 0 && (m_lastMediaUs < 0 || now - m_lastMediaUs >= kStopHoldUs))
        m_bargeIn.mediaStoppedLatencyMs = std::max<qint64>(0, m_lastMediaUs - m_bargeIn.startedUs) / 1000.0;
    m_bargeIn.staleAudioHeardMs = (m_playout.playedUs() - m_bargePlayedAtStartUs) / 1000.0;
    BargeInResult &b = m_bargeIn;
    if (b.startedUs < 0) {
        b.verdict = QStringLiteral("probe ended before any caller speech was sent");
    } else if (!b.botWasTalking) {
        b.verdict = QStringLiteral("the bot was not talking when the probe began: nothing to interrupt");
    } else if (b.clearReceived && b.audioStopped) {
        b.verdict = QStringLiteral("clear after %1 ms; the caller hears silence after %2 ms")
                        .arg(ms(b.clearLatencyMs, 0), ms(b.audioStoppedLatencyMs, 0));
    } else if (!b.clearReceived && b.audioStopped) {
        b.verdict = QStringLiteral("no clear: the bot stopped sending, but %1 ms of buffered stale speech played out")
                        .arg(ms(b.audioStoppedLatencyMs, 0));
    } else if (b.clearReceived) {
        b.verdict = QStringLiteral("clear after %1 ms, but the bot kept sending: still audible when the probe ended")
                        .arg(ms(b.clearLatencyMs, 0));
    } else {
        b.verdict = QStringLiteral("no clear and the bot kept talking: %1 s of stale speech heard during the probe")
                        .arg(ms(b.staleAudioHeardMs / 1000.0, 2));
    }
    log(QStringLiteral("info"), QStringLiteral("barge-in: %1").arg(b.verdict));
    Q_EMIT bargeInFinished(b);
}

bool TwilioEmulator::saveRecording(const QString &path, EmulatorOptions::RecordEncoding encoding, QString *error) const
{
    QString err;
    bool ok = false;
    if (encoding == EmulatorOptions::RecordEncoding::Mulaw) {
        ok = wav::writeMulawFile(path, m_recorded, kTwilioRate, &err);
    } else {
        PcmBuffer pcm;
        pcm.samples.resize(m_recorded.size());
        if (!m_recorded.isEmpty())
            g711::decodeMulaw(m_recorded, pcm.samples.data());
        ok = wav::writeFile(path, pcm, wav::Encoding::Pcm16, &err);
    }
    if (!ok && error)
        *error = QStringLiteral("cannot write recording '%1': %2").arg(path, err);
    return ok;
}

ArrivalStats TwilioEmulator::stats() const
{
    return m_analytics.stats();
}

double TwilioEmulator::sessionSeconds() const
{
    if (m_sessionStartUs == 0)
        return 0.0;
    const qint64 end = m_sessionEndUs >= 0 ? m_sessionEndUs : nowUs();
    return (end - m_sessionStartUs) / 1e6;
}

QJsonObject TwilioEmulator::summaryJson() const
{
    QJsonObject o;
    o[QStringLiteral("mode")] = m_clientMode ? QStringLiteral("bot") : QStringLiteral("listen");
    if (m_clientMode)
        o[QStringLiteral("botUrl")] = m_botUrl.toString();
    o[QStringLiteral("streamSid")] = m_streamSid;
    o[QStringLiteral("callSid")] = m_callSid;
    o[QStringLiteral("accountSid")] = m_accountSid;
    o[QStringLiteral("sessionSec")] = sessionSeconds();
    o[QStringLiteral("messagesReceived")] = m_messagesReceived;
    o[QStringLiteral("inboundFramesSent")] = m_inboundFrames;
    o[QStringLiteral("inboundLateResets")] = m_lateResets;
    o[QStringLiteral("arrival")] = stats().toJson();
    o[QStringLiteral("playout")] = m_playout.toJson();
    QJsonObject marks;
    marks[QStringLiteral("received")] = m_marksReceived;
    marks[QStringLiteral("echoed")] = m_playout.marksEchoed();
    marks[QStringLiteral("echoedByClear")] = m_marksEchoedByClear;
    QJsonArray order;
    for (const QString &n : m_markOrder.mid(0, 1000))
        order.append(n);
    marks[QStringLiteral("order")] = order;
    o[QStringLiteral("marks")] = marks;
    o[QStringLiteral("clears")] = m_clearsReceived;
    QJsonObject v;
    v[QStringLiteral("total")] = m_violationCount;
    QJsonObject byCode;
    for (auto it = m_violationsByCode.cbegin(); it != m_violationsByCode.cend(); ++it)
        byCode[QString::number(it.key())] = it.value();
    v[QStringLiteral("byCode")] = byCode;
    QJsonArray list;
    for (const Violation &x : m_violations.mid(0, 200))
        list.append(x.toJson());
    v[QStringLiteral("list")] = list;
    o[QStringLiteral("violations")] = v;
    o[QStringLiteral("mediaDiscardedFrames")] = m_discardedFrames;
    if (m_bargeIn.sent)
        o[QStringLiteral("bargeIn")] = m_bargeIn.toJson();
    QJsonArray secs;
    for (const PerSecondRx &rx : m_perSecond.mid(0, 3600))
        secs.append(rx.toJson());
    o[QStringLiteral("perSecond")] = secs;
    o[QStringLiteral("recordedBytes")] = qint64(m_recorded.size());
    o[QStringLiteral("recordingTruncated")] = m_recordTruncated;
    o[QStringLiteral("disconnectReason")] = m_disconnectReason;
    return o;
}

QString TwilioEmulator::summaryText() const
{
    const ArrivalStats s = stats();
    QStringList l;
    // frames per second of arrival span (partial first/last seconds would understate it)
    const double spanSec = (s.lastArrivalUs - s.firstArrivalUs) / 1e6;
    const double meanFps = s.frames > 1 && spanSec > 0 ? (s.frames - 1) / spanSec : 0.0;
    l << QStringLiteral("Stream %1: %2 s, %3 messages, %4 media frames (%5 s of audio)")
             .arg(m_streamSid.isEmpty() ? QStringLiteral("-") : m_streamSid, ms(sessionSeconds(), 1))
             .arg(m_messagesReceived)
             .arg(s.frames)
             .arg(ms(s.audioMs / 1000.0, 2));
    if (s.frames == 0) {
        l << QStringLiteral("No media received: nothing to judge for pace or jitter");
    } else {
        l << QStringLiteral("Pace: %1 fps over the arrival span; delta min/mean/max/p99 %2/%3/%4/%5 ms (max at frame %6)")
                 .arg(ms(meanFps, 1), ms(s.deltaMinMs), ms(s.deltaMeanMs), ms(s.deltaMaxMs), ms(s.deltaP99Ms))
                 .arg(s.deltaMaxFrame);
        l << QStringLiteral("Jitter %1 ms (max %2); skew now %3 ms, worst %4 ms (+ ahead, - late); drift %5")
                 .arg(ms(s.jitterMs, 2), ms(s.jitterMaxMs, 2), ms(s.skewMs), ms(s.skewMaxMs),
                      s.driftValid ? QStringLiteral("%1 ppm (%2 ms)").arg(ms(s.driftPpm, 0), ms(s.driftMs))
                                   : QStringLiteral("n/a (too few frames)"));
    }
    l << QStringLiteral("Buffer: now %1 s, max %2 s; underruns %3 (%4 ms total); pauses %5; bursts %6")
             .arg(ms(m_playout.bufferedSec(), 2), ms(m_playout.maxBufferedUs() / 1e6, 2))
             .arg(m_playout.underrunCount())
             .arg(ms(m_playout.underrunTotalUs() / 1000.0, 0))
             .arg(m_playout.pauseCount())
             .arg(s.burstCount);
    QStringList sizes;
    for (auto it = s.sizeHistogram.cbegin(); it != s.sizeHistogram.cend(); ++it)
        sizes << QStringLiteral("%1 B x%2").arg(it.key() < 0 ? QStringLiteral("other") : QString::number(it.key())).arg(it.value());
    l << QStringLiteral("Payload sizes: %1; frames not 160 B: %2")
             .arg(sizes.isEmpty() ? QStringLiteral("-") : sizes.join(QStringLiteral(", ")))
             .arg(s.nonStandardFrames);
    l << QStringLiteral("Marks: %1 received, %2 echoed (%3 by clear); clears: %4")
             .arg(m_marksReceived)
             .arg(m_playout.marksEchoed())
             .arg(m_marksEchoedByClear)
             .arg(m_clearsReceived);
    QStringList codes;
    for (auto it = m_violationsByCode.cbegin(); it != m_violationsByCode.cend(); ++it)
        codes << QStringLiteral("%1 x%2").arg(it.key()).arg(it.value());
    l << QStringLiteral("Violations: %1%2").arg(m_violationCount).arg(codes.isEmpty() ? QString() : QStringLiteral(" (") + codes.join(QStringLiteral(", ")) + QLatin1Char(')'));
    for (const Violation &v : m_violations.mid(0, 5))
        l << QStringLiteral("  %1 at %2 s: %3").arg(v.code).arg(ms(v.sessionSec, 3), v.message);
    if (m_bargeIn.sent)
        l << QStringLiteral("Barge-in: %1").arg(m_bargeIn.finished ? m_bargeIn.verdict : QStringLiteral("still running"));
    if (!m_disconnectReason.isEmpty())
        l << QStringLiteral("Ended: %1").arg(m_disconnectReason);
    return l.join(QLatin1Char('\n'));
}

} // namespace pacelab

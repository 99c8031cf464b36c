#include "SessionController.h"

#include "emulator/TwilioEmulator.h"
#include "util/ThreadCaller.h"
#include "util/UrlUtil.h"

#include <QRegularExpression>
#include <QThread>

namespace pacelab::ui {

void SessionController::ThreadDeleter::operator()(QThread *t) const
{
    t->quit();
    t->wait();
    delete t;
}

SessionController::SessionController(QObject *parent)
    : QObject(parent)
{
    qRegisterMetaType<pacelab::TelemetrySnapshot>();
    qRegisterMetaType<pacelab::PerSecondRx>();
    qRegisterMetaType<pacelab::Violation>();
    SenderConfig cfg;
    // Disconnect in the UI means "stop now": queued audio is discarded, not drained at pace.
    cfg.stopMode = SenderConfig::StopMode::Discard;
    m_engine = std::make_unique<SenderEngine>(cfg);
    connect(m_engine.get(), &SenderEngine::telemetry, this, &SessionController::txSecond);
    connect(m_engine.get(), &SenderEngine::stateChanged, this, &SessionController::onEngineState);
    connect(m_engine.get(), &SenderEngine::logMessage, this, &SessionController::logLine);
    connect(m_engine.get(), &SenderEngine::errorOccurred, this,
            [this](const QString &msg) { Q_EMIT logLine(QStringLiteral("error"), msg); });
    m_statusText = tr("Not connected");
}

SessionController::~SessionController()
{
    stop();
    stopEmulator();
    m_engine.reset();
}

QString SessionController::modeName(Mode m)
{
    switch (m) {
    case Mode::Emulator: return tr("Built-in emulator");
    case Mode::ConnectUrl: return tr("Connect to URL");
    case Mode::ListenTwilio: return tr("Listen for Twilio");
    case Mode::TestBot: return tr("Test a bot");
    }
    return {};
}

bool SessionController::parseWsUrl(const QString &text, QUrl *url, QString *error)
{
    const QString t = text.trimmed();
    QString detail;
    QUrl u;
    switch (pacelab::parseWebSocketUrl(text, &u, &detail)) {
    case WsUrlError::None:
        *url = u;
        return true;
    case WsUrlError::Empty:
        *error = tr("Enter a WebSocket URL, e.g. ws://127.0.0.1:8080/stream");
        return false;
    case WsUrlError::Malformed:
        *error = tr("'%1' is not a valid URL (%2)").arg(t, detail);
        return false;
    case WsUrlError::NoScheme:
        *error = tr("'%1' has no scheme: the URL must start with ws:// or wss://").arg(t);
        return false;
    case WsUrlError::WrongScheme:
        *error = tr("The URL must start with ws:// or wss:// (got '%1://')").arg(QUrl(t, QUrl::StrictMode).scheme());
        return false;
    case WsUrlError::NoHost:
        *error = tr("'%1' has no host name").arg(t);
        return false;
    case WsUrlError::PortZero:
        *error = tr("'%1' has port 0: give the port the peer listens on").arg(t);
        return false;
    }
    return false;
}

bool SessionController::parseCustomParameters(const QString &text, QVariantMap *out, QString *error)
{
    out->clear();
    const QStringList parts = text.split(QRegularExpression(QStringLiteral("[;\\n]")), Qt::SkipEmptyParts);
    for (const QString &raw : parts) {
        const QString part = raw.trimmed();
        if (part.isEmpty())
            continue;
        const qsizetype eq = part.indexOf(QLatin1Char('='));
        if (eq <= 0) {
            *error = tr("Custom parameter '%1' is not of the form name=value").arg(part);
            return false;
        }
        out->insert(part.left(eq).trimmed(), part.mid(eq + 1).trimmed());
    }
    return true;
}

QString SessionController::twimlSnippet(const QString &publicWssUrl)
{
    return QStringLiteral("<Response>\n  <Connect>\n    <Stream url=\"%1\"/>\n  </Connect>\n</Response>")
        .arg(publicWssUrl.toHtmlEscaped());
}

QString SessionController::validate(const Params &p)
{
    QString error;
    QUrl url;
    switch (p.mode) {
    case Mode::Emulator:
        return {};
    case Mode::ConnectUrl:
        return parseWsUrl(p.url, &url, &error) ? QString() : error;
    case Mode::ListenTwilio: {
        QHostAddress addr;
        if (!addr.setAddress(p.listenHost.trimmed()))
            return tr("'%1' is not an IP address to listen on (e.g. 127.0.0.1 or 0.0.0.0)").arg(p.listenHost);
        if (p.listenPort < 1 || p.listenPort > 65535)
            return tr("Port %1 is out of range (1-65535)").arg(p.listenPort);
        return {};
    }
    case Mode::TestBot: {
        if (!parseWsUrl(p.botUrl, &url, &error))
            return error;
        QVariantMap params;
        return parseCustomParameters(p.customParameters, &params, &error) ? QString() : error;
    }
    }
    return {};
}

void SessionController::setStatus(Status s, const QString &text)
{
    m_status = s;
    m_statusText = text;
    Q_EMIT statusChanged(s, text);
}

bool SessionController::start(const Params &p, QString *error)
{
    const QString problem = validate(p);
    if (!problem.isEmpty()) {
        *error = problem;
        setStatus(Status::Failed, problem);
        return false;
    }
    stop();
    m_params = p;
    m_active = true;
    Q_EMIT sessionReset();
    switch (p.mode) {
    case Mode::Emulator: {
        startEmulator();
        struct Listening
        {
            quint16 port = 0;
            QUrl url;
            QString error;
        };
        TwilioEmulator *emu = m_emulator;
        const Listening l = m_emuCaller->call([emu] {
                                Listening r;
                                if (emu->listen(QHostAddress::LocalHost, 0)) {
                                    r.port = emu->serverPort();
                                    r.url = emu->serverUrl();
                                } else {
                                    r.error = emu->errorString();
                                }
                                return r;
                            }).value_or(Listening{0, QUrl(), tr("the emulator thread is not running")});
        const quint16 port = l.port;
        const QUrl url = l.url;
        const QString listenError = l.error;
        if (port == 0) {
            *error = tr("The built-in emulator could not listen on 127.0.0.1: %1").arg(listenError);
            m_active = false;
            stopEmulator();
            setStatus(Status::Failed, *error);
            return false;
        }
        m_endpoint = tr("the built-in emulator at %1").arg(url.toString());
        setStatus(Status::Busy, tr("Connecting to %1…").arg(m_endpoint));
        m_engine->connectTo(url);
        return true;
    }
    case Mode::ConnectUrl: {
        QUrl url;
        parseWsUrl(p.url, &url, error);
        m_endpoint = url.toString();
        setStatus(Status::Busy, tr("Connecting to %1…").arg(m_endpoint));
        m_engine->connectTo(url);
        return true;
    }
    case Mode::ListenTwilio: {
        const QHostAddress addr(p.listenHost.trimmed());
        m_endpoint = QStringLiteral("%1:%2").arg(addr.toString()).arg(p.listenPort);
        setStatus(Status::Busy, tr("Opening %1…").arg(m_endpoint));
        m_engine->listen(addr, quint16(p.listenPort));
        return true;
    }
    case Mode::TestBot: {
        QUrl url;
        parseWsUrl(p.botUrl, &url, error);
        EmulatorOptions opts;
        parseCustomParameters(p.customParameters, &opts.customParameters, error);
        opts.authToken = p.authToken;
        startEmulator();
        TwilioEmulator *emu = m_emulator;
        const auto connected = m_emuCaller->call([emu, url, opts] {
            const bool ok = emu->connectToBot(url, opts);
            return std::make_pair(ok, ok ? QString() : emu->errorString());
        });
        const bool ok = connected && connected->first;
        const QString connectError = connected ? connected->second : tr("the emulator thread is not running");
        if (!ok) {
            *error = tr("Cannot test the bot at %1: %2").arg(url.toString(), connectError);
            m_active = false;
            stopEmulator();
            setStatus(Status::Failed, *error);
            return false;
        }
        m_endpoint = url.toString();
        setStatus(Status::Busy, tr("Calling the bot at %1…").arg(m_endpoint));
        return true;
    }
    }
    return false;
}

void SessionController::stop()
{
    if (!m_active)
        return;
    m_active = false;
    if (m_params.mode != Mode::TestBot && m_engine->state() != SenderEngine::Idle)
        m_engine->stop();
    stopEmulator();
    setStatus(Status::Idle, tr("Not connected"));
}

void SessionController::clearAudio()
{
    m_engine->clear();
}

bool SessionController::startBargeIn(int ms)
{
    if (!m_emulator)
        return false;
    TwilioEmulator *emu = m_emulator;
    const auto started = m_emuCaller->call([emu, ms] { return emu->startBargeInTone(ms); });
    return started && *started;
}

void SessionController::setForwardMedia(bool on)
{
    m_forwardMedia = on;
}

void SessionController::startEmulator()
{
    stopEmulator();
    m_emuThread.reset(new QThread);
    m_emuThread->setObjectName(QStringLiteral("emulator"));
    auto *emu = new TwilioEmulator;
    m_emuCaller = new ThreadCaller(emu); // moves with the emulator, dies with it
    emu->moveToThread(m_emuThread.get());
    connect(m_emuThread.get(), &QThread::finished, emu, &QObject::deleteLater);
    connect(emu, &TwilioEmulator::secondTick, this, &SessionController::rxSecond);
    connect(emu, &TwilioEmulator::violation, this, [this](const Violation &v) {
        Q_EMIT violation(v);
        Q_EMIT logLine(QStringLiteral("warning"),
                       tr("Twilio would reject this (%1): %2").arg(v.code).arg(v.message));
    });
    connect(emu, &TwilioEmulator::logMessage, this, &SessionController::logLine);
    connect(emu, &TwilioEmulator::bargeInFinished, this, &SessionController::bargeInFinished);
    connect(emu, &TwilioEmulator::mediaReceived, this, [this](const QByteArray &m) {
        if (m_forwardMedia)
            Q_EMIT mediaReceived(m);
    });
    connect(emu, &TwilioEmulator::clientConnected, this, [this] {
        Q_EMIT logLine(QStringLiteral("info"), tr("Emulator: a client connected"));
    });
    connect(emu, &TwilioEmulator::sessionStarted, this, [this](const QString &sid) {
        Q_EMIT logLine(QStringLiteral("info"), tr("Emulator: stream %1 started").arg(sid));
        if (m_active && m_params.mode == Mode::TestBot)
            setStatus(Status::Live, tr("Streaming to the bot at %1 (stream %2)").arg(m_endpoint, sid));
    });
    connect(emu, &TwilioEmulator::clientDisconnected, this, [this](const QString &reason) {
        Q_EMIT logLine(QStringLiteral("info"), tr("Emulator: connection closed (%1)").arg(reason));
        if (m_active && m_params.mode == Mode::TestBot)
            setStatus(Status::Failed, tr("The bot closed the connection: %1").arg(reason));
    });
    connect(emu, &TwilioEmulator::errorOccurred, this, [this](const QString &err) {
        Q_EMIT logLine(QStringLiteral("error"), tr("Emulator: %1").arg(err));
        if (m_active && m_params.mode == Mode::TestBot)
            setStatus(Status::Failed, tr("Cannot reach the bot: %1").arg(err));
    });
    m_emuThread->start();
    m_emulator = emu;
}

void SessionController::stopEmulator()
{
    if (m_emulator) {
        TwilioEmulator *emu = m_emulator;
        m_emuCaller->call([emu] {
            emu->stop();
            return true;
        });
        emu->disconnect(this);
    }
    m_emuThread.reset(); // quit + wait; the emulator is deleted on its own thread
    m_emulator = nullptr;
    m_emuCaller = nullptr;
}

void SessionController::onEngineState(SenderEngine::State state, const QString &message)
{
    if (m_params.mode == Mode::TestBot)
        return;
    // No log line here: the engine's logMessage already narrates each transition.
    if (!m_active) {
        if (state == SenderEngine::Error)
            setStatus(Status::Failed, message);
        return;
    }
    switch (state) {
    case SenderEngine::Idle:
        setStatus(Status::Idle, message.isEmpty() ? tr("Disconnected") : tr("Disconnected: %1").arg(message));
        break;
    case SenderEngine::Connecting:
        setStatus(Status::Busy, tr("Connecting to %1…").arg(m_endpoint));
        break;
    case SenderEngine::Listening:
        setStatus(Status::Busy, tr("Listening on %1 — waiting for Twilio to connect").arg(m_endpoint));
        break;
    case SenderEngine::Connected: {
        const QString sid = m_engine->streamSid();
        setStatus(Status::Live, tr("Connected to %1%2").arg(m_endpoint,
                      sid.isEmpty() ? QString() : tr(" (stream %1)").arg(sid)));
        break;
    }
    case SenderEngine::Closing:
        setStatus(Status::Busy, tr("Closing…"));
        break;
    case SenderEngine::Error:
        setStatus(Status::Failed, message.isEmpty() ? tr("Connection failed") : message);
        break;
    }
}

} // namespace pacelab::ui

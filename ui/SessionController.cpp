#include "SessionController.h"

#include "ProviderSelector.h"

#include "emulator/TwilioEmulator.h"
#include "util/UrlUtil.h"

#include <QRegularExpression>
#include <QSettings>

namespace pacelab::ui {

SessionController::SessionController(QObject *parent, std::optional<provider::Id> provider)
    : QObject(parent)
{
    provider::Id id = provider::Id::Twilio;
    if (provider) {
        id = *provider;
    } else {
        QSettings settings;
        id = ProviderSelector::loadSaved(settings, &m_providerProblem);
    }
    createSession(id);
    m_statusText = tr("Not connected");
}

void SessionController::createSession(provider::Id id)
{
    SessionConfig cfg;
    QSettings settings;
    m_settingsProblem = loadSessionSettings(settings, &cfg);
    cfg.setProvider(id);
    // Disconnect in the UI means "stop now": queued audio is discarded, not drained at pace.
    cfg.sender.stopMode = SenderConfig::StopMode::Discard;
    QString error;
    m_session.reset(); // the old engine ends (its queue with it) before the new one starts
    m_session = Session::create(cfg, &error);
    if (!m_session) { // not expected: loadSessionSettings() keeps defaults on a refused value
        m_settingsProblem = error;
        SessionConfig defaults;
        defaults.setProvider(id);
        defaults.sender.stopMode = SenderConfig::StopMode::Discard;
        m_session = Session::create(defaults, &error);
    }
    SenderEngine *engine = m_session->engine();
    connect(engine, &SenderEngine::telemetry, this, &SessionController::txSecond);
    connect(engine, &SenderEngine::stateChanged, this, &SessionController::onEngineState);
    connect(engine, &SenderEngine::logMessage, this, &SessionController::logLine);
    connect(engine, &SenderEngine::errorOccurred, this,
            [this](const QString &msg) { Q_EMIT logLine(QStringLiteral("error"), msg); });
}

bool SessionController::setProvider(provider::Id id)
{
    if (id == provider())
        return false;
    stop();
    createSession(id);
    return true;
}

SessionController::~SessionController()
{
    stop();
    m_session.reset();
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
        createEmulator();
        QString listenError;
        if (!m_session->listenEmulator(&listenError)) {
            *error = tr("The built-in emulator could not listen on 127.0.0.1: %1").arg(listenError);
            m_active = false;
            setStatus(Status::Failed, *error);
            return false;
        }
        const QUrl url = m_session->emulatorUrl();
        m_endpoint = tr("the built-in emulator at %1").arg(url.toString());
        setStatus(Status::Busy, tr("Connecting to %1…").arg(m_endpoint));
        engine()->connectTo(url);
        return true;
    }
    case Mode::ConnectUrl: {
        QUrl url;
        parseWsUrl(p.url, &url, error);
        m_endpoint = url.toString();
        setStatus(Status::Busy, tr("Connecting to %1…").arg(m_endpoint));
        engine()->connectTo(url);
        return true;
    }
    case Mode::ListenTwilio: {
        const QHostAddress addr(p.listenHost.trimmed());
        m_endpoint = QStringLiteral("%1:%2").arg(addr.toString()).arg(p.listenPort);
        setStatus(Status::Busy, tr("Opening %1…").arg(m_endpoint));
        engine()->listen(addr, quint16(p.listenPort));
        return true;
    }
    case Mode::TestBot: {
        QUrl url;
        parseWsUrl(p.botUrl, &url, error);
        EmulatorOptions opts = m_session->config().emulator;
        parseCustomParameters(p.customParameters, &opts.customParameters, error);
        opts.authToken = p.authToken;
        createEmulator();
        const QString connectError = m_session->onEmulator([url, opts](TwilioEmulator &e) {
                                              return e.connectToBot(url, opts) ? QString() : e.errorString();
                                          }).value_or(tr("the emulator thread is not running"));
        if (!connectError.isEmpty()) {
            *error = tr("Cannot test the bot at %1: %2").arg(url.toString(), connectError);
            m_active = false;
            m_session->stopEmulator();
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
    if (m_params.mode != Mode::TestBot && engine()->state() != SenderEngine::Idle)
        engine()->stop();
    m_session->stopEmulator();
    setStatus(Status::Idle, tr("Not connected"));
}

void SessionController::clearAudio()
{
    engine()->clear();
}

bool SessionController::startBargeIn(int ms)
{
    if (!m_session->emulator())
        return false;
    const auto started = m_session->onEmulator([ms](TwilioEmulator &e) { return e.startBargeInTone(ms); });
    return started && *started;
}

void SessionController::setForwardMedia(bool on)
{
    m_forwardMedia = on;
}

void SessionController::createEmulator()
{
    TwilioEmulator *emu = m_session->createEmulator();
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
        const QString sid = engine()->streamSid();
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

#pragma once

#include "emulator/EmulatorTypes.h"
#include "emulator/TwilioEmulator.h"
#include "engine/SenderEngine.h"
#include "engine/Telemetry.h"
#include "session/Session.h"

#include <QHostAddress>
#include <QObject>
#include <QPointer>
#include <QUrl>
#include <QVariantMap>
#include <memory>
#include <optional>

namespace pacelab::ui {

// What the window connects: one Session for the app's life (its engine keeps a stable queue for
// the producers; in the modes that need it, the Twilio emulator runs on the session's emulator
// thread, so arrival times never depend on how busy the UI is). The session's settings are the
// ones remembered by the Settings dialog (QSettings "session/..."), read at construction.
// Turns both sides' signals into plain-worded state for the window.
class SessionController : public QObject
{
    Q_OBJECT
public:
    enum class Mode { Emulator, ConnectUrl, ListenTwilio, TestBot };
    Q_ENUM(Mode)
    enum class Status { Idle, Busy, Live, Failed };
    Q_ENUM(Status)

    struct Params
    {
        Mode mode = Mode::Emulator;
        QString url;          // ConnectUrl
        QString listenHost = QStringLiteral("127.0.0.1");
        int listenPort = 8080; // ListenTwilio
        QString botUrl;       // TestBot
        QString authToken;    // TestBot, optional
        QString customParameters; // TestBot: "key=value; key2=value2"
    };

    // provider: the --provider of the command line; nullopt = the remembered one
    // (ProviderSelector::loadSaved, "session/provider"), Twilio when none or a bad one.
    explicit SessionController(QObject *parent = nullptr, std::optional<provider::Id> provider = std::nullopt);
    ~SessionController() override;

    // Checks params without side effects; returns "" or a plain-words message.
    static QString validate(const Params &p);
    static bool parseWsUrl(const QString &text, QUrl *url, QString *error);
    static bool parseCustomParameters(const QString &text, QVariantMap *out, QString *error);
    static QString modeName(Mode m);
    // The TwiML a Twilio number needs to stream to a listener at publicUrl.
    static QString twimlSnippet(const QString &publicWssUrl);

    bool start(const Params &p, QString *error);
    void stop();
    bool isActive() const { return m_active; }
    Mode mode() const { return m_params.mode; }
    Status status() const { return m_status; }
    QString statusText() const { return m_statusText; }
    QString endpoint() const { return m_endpoint; } // what we are connected to / listening on

    SenderEngine *engine() const { return m_session->engine(); }
    TxQueue *queue() const { return engine()->queue(); }
    bool hasEmulator() const { return m_session->hasEmulator(); }
    Session *session() const { return m_session.get(); }
    // Why the remembered settings were not used (defaults instead), or "".
    QString settingsProblem() const { return m_settingsProblem; }
    // Why the remembered provider was not used (Twilio instead), or "".
    QString providerProblem() const { return m_providerProblem; }

    // The media-stream protocol of the session (SessionConfig::setProvider: sender and
    // emulator). The engine's settings are fixed for its life, so another provider means
    // another Session: the running one stops (say so to the user), a new one is built from the
    // remembered settings plus `id`, and queue() changes — producers must be stopped first and
    // re-pointed after (SourcesPanel::setQueue). False when id is already the provider.
    bool setProvider(provider::Id id);
    provider::Id provider() const { return m_session->config().provider(); }
    // What the session was built with (for tests: what the UI handed to core).
    const SessionConfig &config() const { return m_session->config(); }
    // Barge-in from the UI: empties the queue, sends clear.
    void clearAudio();
    // The emulator speaks over the peer as a caller (ms of tone); bargeInFinished reports.
    bool startBargeIn(int ms = 1500);
    // Monitor: mediaReceived is forwarded only while enabled (50 signals/s otherwise wasted).
    void setForwardMedia(bool on);

Q_SIGNALS:
    void statusChanged(pacelab::ui::SessionController::Status status, const QString &text);
    void txSecond(const pacelab::TelemetrySnapshot &snapshot);
    void rxSecond(const pacelab::PerSecondRx &rx);
    void violation(const pacelab::Violation &v);
    void logLine(const QString &level, const QString &text);
    void mediaReceived(const QByteArray &mulaw);
    void sessionReset(); // a new session started: charts may restart their time
    void bargeInFinished(const pacelab::BargeInResult &result);

private:
    void setStatus(Status s, const QString &text);
    void onEngineState(SenderEngine::State state, const QString &message);
    // The session's emulator on its thread, its signals wired to ours; the listen/connect
    // call comes after.
    void createEmulator();
    // A Session from the remembered settings with `id`, its engine's signals wired to ours.
    void createSession(provider::Id id);

    Params m_params;
    std::unique_ptr<Session> m_session;
    QString m_settingsProblem;
    QString m_providerProblem;
    bool m_active = false;
    bool m_forwardMedia = false;
    Status m_status = Status::Idle;
    QString m_statusText;
    QString m_endpoint;
};

} // namespace pacelab::ui

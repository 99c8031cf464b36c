#include "ConnectionPanel.h"

#include <QApplication>
#include <QClipboard>
#include <QComboBox>
#include <QFontDatabase>
#include <QFormLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSettings>
#include <QSpinBox>
#include <QStackedWidget>
#include <QVBoxLayout>

namespace pacelab::ui {

using Mode = SessionController::Mode;

namespace {
QLabel *note(const QString &text, QWidget *parent)
{
    auto *l = new QLabel(text, parent);
    l->setWordWrap(true);
    l->setStyleSheet(QStringLiteral("color: palette(dark);"));
    return l;
}
} // namespace

ConnectionPanel::ConnectionPanel(QWidget *parent)
    : QWidget(parent)
    , m_mode(new QComboBox(this))
    , m_pages(new QStackedWidget(this))
    , m_url(new QLineEdit(this))
    , m_listenHost(new QLineEdit(QStringLiteral("127.0.0.1"), this))
    , m_listenPort(new QSpinBox(this))
    , m_publicUrl(new QLineEdit(this))
    , m_twiml(new QPlainTextEdit(this))
    , m_botUrl(new QLineEdit(this))
    , m_authToken(new QLineEdit(this))
    , m_customParams(new QLineEdit(this))
    , m_connect(new QPushButton(tr("Connect"), this))
    , m_status(new QLabel(this))
{
    for (Mode m : {Mode::Emulator, Mode::ConnectUrl, Mode::ListenTwilio, Mode::TestBot})
        m_mode->addItem(SessionController::modeName(m), int(m));
    m_mode->setObjectName(QStringLiteral("mode"));

    // Built-in emulator.
    auto *emu = new QWidget(m_pages);
    auto *el = new QVBoxLayout(emu);
    el->setContentsMargins(0, 0, 0, 0);
    el->addWidget(note(tr("PaceLab's sender streams to a Twilio emulator on 127.0.0.1. Nothing leaves this "
                          "machine; the emulator measures arrivals and models Twilio's playback buffer."), emu));
    el->addStretch();
    m_pages->addWidget(emu);

    // Connect to URL.
    auto *urlPage = new QWidget(m_pages);
    auto *ul = new QFormLayout(urlPage);
    ul->setContentsMargins(0, 0, 0, 0);
    m_url->setPlaceholderText(QStringLiteral("ws://127.0.0.1:8080/stream"));
    m_url->setObjectName(QStringLiteral("url"));
    ul->addRow(tr("URL"), m_url);
    ul->addRow(note(tr("The sender connects to this ws:// or wss:// peer (e.g. `pacelab emulate`) and streams to it."),
                    urlPage));
    m_pages->addWidget(urlPage);

    // Listen for Twilio.
    auto *listenPage = new QWidget(m_pages);
    auto *ll = new QFormLayout(listenPage);
    ll->setContentsMargins(0, 0, 0, 0);
    m_listenPort->setRange(1, 65535);
    m_listenPort->setValue(8080);
    m_publicUrl->setPlaceholderText(QStringLiteral("wss://your-tunnel.example.com/stream"));
    m_twiml->setReadOnly(true);
    m_twiml->setAccessibleName(tr("TwiML for your Twilio number"));
    m_twiml->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    m_twiml->setMaximumHeight(90);
    auto *copy = new QPushButton(tr("Copy TwiML"), listenPage);
    connect(copy, &QPushButton::clicked, this, [this] { QApplication::clipboard()->setText(twiml()); });
    ll->addRow(tr("Address"), m_listenHost);
    ll->addRow(tr("Port"), m_listenPort);
    ll->addRow(tr("Public URL"), m_publicUrl);
    ll->addRow(m_twiml);
    ll->addRow(copy);
    ll->addRow(note(tr("Twilio needs a public wss:// URL: put a TLS tunnel or proxy in front of this port."),
                    listenPage));
    connect(m_publicUrl, &QLineEdit::textChanged, this, &ConnectionPanel::updateTwiml);
    connect(m_listenHost, &QLineEdit::textChanged, this, &ConnectionPanel::updateTwiml);
    connect(m_listenPort, &QSpinBox::valueChanged, this, &ConnectionPanel::updateTwiml);
    m_pages->addWidget(listenPage);

    // Test a bot.
    auto *botPage = new QWidget(m_pages);
    auto *bl = new QFormLayout(botPage);
    bl->setContentsMargins(0, 0, 0, 0);
    m_botUrl->setPlaceholderText(QStringLiteral("ws://127.0.0.1:5050/media"));
    m_botUrl->setObjectName(QStringLiteral("botUrl"));
    m_authToken->setEchoMode(QLineEdit::Password);
    m_authToken->setPlaceholderText(tr("optional: signs the request"));
    m_customParams->setPlaceholderText(QStringLiteral("caller=+15551234; lang=en"));
    bl->addRow(tr("Bot URL"), m_botUrl);
    bl->addRow(tr("Auth token"), m_authToken);
    bl->addRow(tr("Parameters"), m_customParams);
    bl->addRow(note(tr("The emulator plays Twilio and calls your bot; the charts show what the bot sends. "
                       "PaceLab's own sources are idle in this mode."), botPage));
    m_pages->addWidget(botPage);

    m_connect->setObjectName(QStringLiteral("connect"));
    m_connect->setAccessibleName(tr("Connect or disconnect"));
    m_mode->setAccessibleName(tr("Connection mode"));
    m_connect->setToolTip(tr("Connect / disconnect (Ctrl+K)"));
    m_status->setWordWrap(true);
    m_status->setObjectName(QStringLiteral("status"));
    m_status->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_status->setMinimumHeight(36);
    m_status->setAlignment(Qt::AlignLeft | Qt::AlignTop);

    auto *top = new QFormLayout;
    top->addRow(tr("Mode"), m_mode);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    layout->addLayout(top);
    layout->addWidget(m_pages);
    layout->addWidget(m_connect);
    layout->addWidget(m_status);
    layout->addStretch(1); // keep the controls together at the top

    connect(m_mode, &QComboBox::currentIndexChanged, this, [this](int i) {
        m_pages->setCurrentIndex(i);
        Q_EMIT modeChanged(mode());
    });
    connect(m_connect, &QPushButton::clicked, this, [this] {
        if (m_active)
            Q_EMIT disconnectRequested();
        else
            Q_EMIT connectRequested();
    });
    for (QLineEdit *e : {m_url, m_botUrl, m_publicUrl})
        connect(e, &QLineEdit::returnPressed, this, &ConnectionPanel::connectRequested);
    updateTwiml();
    setStatus(SessionController::Status::Idle, tr("Not connected"));
}

SessionController::Params ConnectionPanel::params() const
{
    SessionController::Params p;
    p.mode = mode();
    p.url = m_url->text();
    p.listenHost = m_listenHost->text();
    p.listenPort = m_listenPort->value();
    p.botUrl = m_botUrl->text();
    p.authToken = m_authToken->text();
    p.customParameters = m_customParams->text();
    return p;
}

Mode ConnectionPanel::mode() const
{
    return Mode(m_mode->currentData().toInt());
}

void ConnectionPanel::setMode(Mode mode)
{
    m_mode->setCurrentIndex(m_mode->findData(int(mode)));
}

void ConnectionPanel::setUrl(const QString &url)
{
    m_url->setText(url);
}

void ConnectionPanel::setBotUrl(const QString &url)
{
    m_botUrl->setText(url);
}

QString ConnectionPanel::botUrl() const
{
    return m_botUrl->text();
}

void ConnectionPanel::setStatus(SessionController::Status status, const QString &text)
{
    QString color;
    QString dot;
    switch (status) {
    case SessionController::Status::Idle: color = QStringLiteral("#57606a"); dot = QStringLiteral("○"); break;
    case SessionController::Status::Busy: color = QStringLiteral("#9a6700"); dot = QStringLiteral("◐"); break;
    case SessionController::Status::Live: color = QStringLiteral("#1a7f37"); dot = QStringLiteral("●"); break;
    case SessionController::Status::Failed: color = QStringLiteral("#c62828"); dot = QStringLiteral("✖"); break;
    }
    m_status->setText(QStringLiteral("<span style=\"color:%1\">%2 %3</span>").arg(color, dot, text.toHtmlEscaped()));
    m_status->setToolTip(text);
}

void ConnectionPanel::setActive(bool active)
{
    m_active = active;
    m_connect->setText(active ? tr("Disconnect") : tr("Connect"));
    // The mode stays selectable: changing it asks before it ends the session.
    m_mode->setToolTip(active ? tr("Changing the mode disconnects the current session (you are asked first)")
                              : tr("Where PaceLab's audio goes, or whose audio it judges"));
    m_pages->setEnabled(!active);
}

QString ConnectionPanel::statusText() const
{
    return m_status->toolTip();
}

QString ConnectionPanel::twiml() const
{
    return m_twiml->toPlainText();
}

void ConnectionPanel::updateTwiml()
{
    QString url = m_publicUrl->text().trimmed();
    if (url.isEmpty())
        url = QStringLiteral("wss://YOUR-PUBLIC-HOST/stream");
    m_twiml->setPlainText(SessionController::twimlSnippet(url));
}

void ConnectionPanel::saveSettings(QSettings &s) const
{
    s.beginGroup(QStringLiteral("connection"));
    s.setValue(QStringLiteral("mode"), int(mode()));
    s.setValue(QStringLiteral("url"), m_url->text());
    s.setValue(QStringLiteral("listenHost"), m_listenHost->text());
    s.setValue(QStringLiteral("listenPort"), m_listenPort->value());
    s.setValue(QStringLiteral("publicUrl"), m_publicUrl->text());
    s.setValue(QStringLiteral("botUrl"), m_botUrl->text());
    s.setValue(QStringLiteral("customParameters"), m_customParams->text());
    // The auth token is a secret: never written to disk.
    s.endGroup();
}

void ConnectionPanel::loadSettings(const QSettings &s)
{
    auto v = [&s](const char *key) { return s.value(QStringLiteral("connection/") + QLatin1String(key)); };
    const int m = v("mode").toInt();
    if (m >= int(Mode::Emulator) && m <= int(Mode::TestBot))
        setMode(Mode(m));
    m_url->setText(v("url").toString());
    if (v("listenHost").isValid())
        m_listenHost->setText(v("listenHost").toString());
    if (v("listenPort").isValid())
        m_listenPort->setValue(v("listenPort").toInt());
    m_publicUrl->setText(v("publicUrl").toString());
    m_botUrl->setText(v("botUrl").toString());
    m_customParams->setText(v("customParameters").toString());
}

} // namespace pacelab::ui

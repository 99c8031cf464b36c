#include "SettingsDialog.h"

#include <QCheckBox>
#include <QDialogButtonBox>
#include <QFormLayout>
#include <QGroupBox>
#include <QLabel>
#include <QPushButton>
#include <QScrollArea>
#include <QSettings>
#include <QSpinBox>
#include <QVBoxLayout>

#include <limits>

namespace pacelab::ui {

SettingsDialog::SettingsDialog(QWidget *parent)
    : QDialog(parent)
{
    setWindowTitle(tr("Settings"));
    auto *sender = new QGroupBox(tr("Sender (PaceLab's engine)"));
    auto *emulator = new QGroupBox(tr("Built-in Twilio emulator"));
    auto *senderForm = new QFormLayout(sender);
    auto *emulatorForm = new QFormLayout(emulator);
    for (const SessionSetting &s : sessionSettings()) {
        QWidget *w = nullptr;
        if (s.kind == SessionSetting::Kind::Bool) {
            w = new QCheckBox;
        } else {
            // The full int range: the limits are validate()'s, which words the refusal.
            auto *spin = new QSpinBox;
            spin->setRange(std::numeric_limits<int>::min(), std::numeric_limits<int>::max());
            if (!s.unit.isEmpty())
                spin->setSuffix(QLatin1Char(' ') + s.unit);
            w = spin;
        }
        w->setObjectName(s.key);
        w->setToolTip(s.help);
        m_fields.insert(s.key, w);
        (s.group == SessionSetting::Group::Sender ? senderForm : emulatorForm)->addRow(s.label, w);
    }
    auto *page = new QWidget;
    auto *pageLayout = new QVBoxLayout(page);
    pageLayout->addWidget(sender);
    pageLayout->addWidget(emulator);
    auto *scroll = new QScrollArea;
    scroll->setWidget(page);
    scroll->setWidgetResizable(true);

    auto *note = new QLabel(tr("The same settings are options of the streaming commands "
                               "(pacelab --headless --high-water 10 ...). Changes take effect "
                               "the next time PaceLab starts."));
    note->setWordWrap(true);
    m_error = new QLabel;
    m_error->setObjectName(QStringLiteral("error"));
    m_error->setWordWrap(true);
    m_error->setStyleSheet(QStringLiteral("color: #c62828"));
    m_error->hide();

    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel | QDialogButtonBox::RestoreDefaults);
    connect(buttons, &QDialogButtonBox::accepted, this, &SettingsDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &SettingsDialog::reject);
    connect(buttons->button(QDialogButtonBox::RestoreDefaults), &QPushButton::clicked, this,
            [this] { showConfig(SessionConfig()); });

    auto *layout = new QVBoxLayout(this);
    layout->addWidget(scroll, 1);
    layout->addWidget(note);
    layout->addWidget(m_error);
    layout->addWidget(buttons);
    resize(560, 640);

    SessionConfig cfg;
    QSettings settings;
    const QString problem = loadSessionSettings(settings, &cfg);
    showConfig(cfg);
    if (!problem.isEmpty()) {
        m_error->setText(tr("The remembered settings were not usable (%1); the defaults are shown.").arg(problem));
        m_error->show();
    }
}

void SettingsDialog::showConfig(const SessionConfig &cfg)
{
    for (const SessionSetting &s : sessionSettings()) {
        QWidget *w = m_fields.value(s.key);
        if (auto *box = qobject_cast<QCheckBox *>(w))
            box->setChecked(s.get(cfg) != 0);
        else if (auto *spin = qobject_cast<QSpinBox *>(w))
            spin->setValue(int(qBound(qint64(spin->minimum()), s.get(cfg), qint64(spin->maximum()))));
    }
}

SessionConfig SettingsDialog::config() const
{
    SessionConfig cfg;
    for (const SessionSetting &s : sessionSettings()) {
        QWidget *w = m_fields.value(s.key);
        if (auto *box = qobject_cast<QCheckBox *>(w))
            s.set(cfg, box->isChecked() ? 1 : 0);
        else if (auto *spin = qobject_cast<QSpinBox *>(w))
            s.set(cfg, spin->value());
    }
    return cfg;
}

QString SettingsDialog::errorText() const
{
    return m_error->isHidden() ? QString() : m_error->text();
}

bool SettingsDialog::apply(QSettings &settings)
{
    const SessionConfig cfg = config();
    QString key;
    const QString problem = cfg.validate(&key);
    if (!problem.isEmpty()) {
        const SessionSetting *s = findSessionSetting(key);
        m_error->setText(s ? tr("%1: %2").arg(s->label, problem) : problem);
        m_error->show();
        if (QWidget *w = m_fields.value(key))
            w->setFocus();
        return false;
    }
    m_error->clear();
    m_error->hide();
    saveSessionSettings(settings, cfg);
    return true;
}

void SettingsDialog::accept()
{
    QSettings settings;
    if (apply(settings))
        QDialog::accept();
}

} // namespace pacelab::ui

#include "MonitorPanel.h"

#include "audioio/AudioDevices.h"
#include "audioio/MonitorSink.h"

#include <QCheckBox>
#include <QComboBox>
#include <QFormLayout>
#include <QLabel>
#include <QSettings>
#include <QSlider>
#include <QVBoxLayout>

namespace pacelab::ui {

MonitorPanel::MonitorPanel(QWidget *parent)
    : QWidget(parent)
    , m_device(new QComboBox(this))
    , m_enable(new QCheckBox(tr("Play what the emulator receives"), this))
    , m_mute(new QCheckBox(tr("Mute"), this))
    , m_volume(new QSlider(Qt::Horizontal, this))
    , m_info(new QLabel(this))
{
    m_volume->setRange(0, 100);
    m_volume->setValue(80);
    m_info->setWordWrap(true);
    auto *form = new QFormLayout;
    form->addRow(tr("Output"), m_device);
    form->addRow(m_enable);
    form->addRow(m_mute);
    form->addRow(tr("Volume"), m_volume);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    layout->addLayout(form);
    layout->addWidget(m_info);
    layout->addStretch();

    const QList<QAudioDevice> outputs = audioio::outputDevices();
    for (const QAudioDevice &d : outputs)
        m_device->addItem(audioio::describe(d), d.id());
    m_reason = audioio::noOutputReason();
    if (!m_reason.isEmpty()) {
        m_device->addItem(m_reason);
        for (QWidget *w : std::initializer_list<QWidget *>{m_device, m_enable, m_mute, m_volume})
            w->setEnabled(false);
        m_info->setText(tr("⚠ %1 — the monitor is unavailable; the emulator still receives, measures and "
                           "can record the audio.").arg(m_reason));
        return;
    }
    m_sink = new audioio::MonitorSink(this);
    m_sink->setVolume(0.8);
    m_info->setText(tr("Plays the bot's outbound audio as Twilio would hear it (built-in emulator and "
                       "test-a-bot modes)."));
    connect(m_enable, &QCheckBox::toggled, this, &MonitorPanel::setEnabledPlayback);
    connect(m_mute, &QCheckBox::toggled, m_sink, &audioio::MonitorSink::setMuted);
    connect(m_volume, &QSlider::valueChanged, this, [this](int v) { m_sink->setVolume(v / 100.0); });
    connect(m_device, &QComboBox::currentIndexChanged, this, [this] {
        if (m_enable->isChecked()) {
            setEnabledPlayback(false);
            setEnabledPlayback(true);
        }
    });
}

MonitorPanel::~MonitorPanel() = default;

bool MonitorPanel::isPlaying() const
{
    return m_sink && m_sink->isActive();
}

void MonitorPanel::play(const QByteArray &mulaw)
{
    if (m_sink)
        m_sink->play(mulaw);
}

void MonitorPanel::setFormat(const MediaFormat &format)
{
    if (m_sink)
        m_sink->setFormat(format);
}

void MonitorPanel::setEnabledPlayback(bool on)
{
    if (!m_sink)
        return;
    if (on) {
        QString error;
        const QAudioDevice dev = audioio::findOutput(m_device->currentData().toByteArray());
        if (!m_sink->start(dev, &error)) {
            m_info->setText(error);
            Q_EMIT logLine(QStringLiteral("error"), tr("Monitor: %1").arg(error));
            m_enable->setChecked(false);
            return;
        }
        m_info->setText(tr("Playing on %1").arg(audioio::describe(dev)));
        Q_EMIT logLine(QStringLiteral("info"), tr("Monitor playing on %1").arg(audioio::describe(dev)));
    } else {
        m_sink->stop();
    }
    Q_EMIT playingChanged(isPlaying());
}

void MonitorPanel::saveSettings(QSettings &s) const
{
    s.setValue(QStringLiteral("monitor/volume"), m_volume->value());
    s.setValue(QStringLiteral("monitor/muted"), m_mute->isChecked());
    s.setValue(QStringLiteral("monitor/device"), m_device->currentData());
}

void MonitorPanel::loadSettings(const QSettings &s)
{
    if (s.contains(QStringLiteral("monitor/volume")))
        m_volume->setValue(s.value(QStringLiteral("monitor/volume")).toInt());
    m_mute->setChecked(s.value(QStringLiteral("monitor/muted")).toBool());
    const int idx = m_device->findData(s.value(QStringLiteral("monitor/device")));
    if (idx >= 0)
        m_device->setCurrentIndex(idx);
}

} // namespace pacelab::ui

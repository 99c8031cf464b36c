#pragma once

#include "audio/MediaFormat.h"

#include <QWidget>

class QCheckBox;
class QComboBox;
class QLabel;
class QSettings;
class QSlider;

namespace pacelab::audioio {
class MonitorSink;
}

namespace pacelab::ui {

// Listen to what the emulator receives: output device, on/off, mute, volume. Disabled, with the
// reason, when the machine has no audio output.
class MonitorPanel : public QWidget
{
    Q_OBJECT
public:
    explicit MonitorPanel(QWidget *parent = nullptr);
    ~MonitorPanel() override;

    bool isAvailable() const { return m_reason.isEmpty(); }
    QString unavailableReason() const { return m_reason; }
    bool isPlaying() const;

    void saveSettings(QSettings &s) const;
    void loadSettings(const QSettings &s);

public Q_SLOTS:
    void play(const QByteArray &mulaw);
    // What play() gets: the provider's outbound format (8 kHz mu-law for Twilio).
    void setFormat(const MediaFormat &format);

Q_SIGNALS:
    void playingChanged(bool playing); // the window forwards received audio only while playing
    void logLine(const QString &level, const QString &text);

private:
    void setEnabledPlayback(bool on);

    audioio::MonitorSink *m_sink = nullptr;
    QComboBox *m_device;
    QCheckBox *m_enable;
    QCheckBox *m_mute;
    QSlider *m_volume;
    QLabel *m_info;
    QString m_reason;
};

} // namespace pacelab::ui

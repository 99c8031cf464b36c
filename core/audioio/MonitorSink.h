#pragma once

#include "audio/MediaFormat.h"

#include <QAudioDevice>
#include <QAudioFormat>
#include <QByteArray>
#include <QObject>
#include <memory>

class QAudioSink;
class QIODevice;

namespace pacelab {
class Resampler;
}

namespace pacelab::audioio {

// Plays what the emulator receives (8 kHz mu-law, or another provider's format: setFormat)
// through a speaker. Lives in the caller's
// thread; play() is cheap (decode + optional resample + a write into the sink's buffer). When
// the sink's buffer is full the newest audio is dropped rather than blocking the caller: the
// monitor must never slow down the emulator that feeds it.
class MonitorSink : public QObject
{
    Q_OBJECT
public:
    explicit MonitorSink(QObject *parent = nullptr);
    ~MonitorSink() override;

    // The wire format play() gets (the provider profile's outbound format); from the next start().
    void setFormat(const MediaFormat &format) { m_wire = format; }
    MediaFormat format() const { return m_wire; }

    bool start(const QAudioDevice &device, QString *error);
    void stop();
    bool isActive() const;

    void setMuted(bool muted);
    bool isMuted() const { return m_muted; }
    void setVolume(double linear); // 0..1
    double volume() const { return m_volume; }

    qint64 bytesPlayed() const { return m_played; }    // wire-format bytes accepted
    qint64 bytesDropped() const { return m_dropped; }  // wire-format bytes the sink had no room for

public Q_SLOTS:
    void play(const QByteArray &audio); // bytes of format()

Q_SIGNALS:
    void errorOccurred(const QString &message);

private:
    QByteArray convert(const QByteArray &audio);

    std::unique_ptr<QAudioSink> m_sink;
    QIODevice *m_io = nullptr;
    std::unique_ptr<Resampler> m_resampler;
    QAudioFormat m_format;
    MediaFormat m_wire = MediaFormat::mulaw8k();
    MediaFormat m_playing = MediaFormat::mulaw8k(); // m_wire as of start()
    bool m_muted = false;
    double m_volume = 0.8;
    qint64 m_played = 0;
    qint64 m_dropped = 0;
};

} // namespace pacelab::audioio

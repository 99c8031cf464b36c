#include "MonitorSink.h"

#include "audio/AudioFormat.h"
#include "audio/Resampler.h"

#include <QAudioSink>
#include <algorithm>

namespace pacelab::audioio {

MonitorSink::MonitorSink(QObject *parent)
    : QObject(parent)
{
}

MonitorSink::~MonitorSink()
{
    stop();
}

bool MonitorSink::start(const QAudioDevice &device, QString *error)
{
    stop();
    if (device.isNull()) {
        *error = QStringLiteral("No audio output device found");
        return false;
    }
    // The wire's rate, mono PCM16 when the device takes it; else its preferred format, resampled.
    m_playing = m_wire;
    QAudioFormat fmt;
    fmt.setSampleRate(m_playing.sampleRate);
    fmt.setChannelCount(1);
    fmt.setSampleFormat(QAudioFormat::Int16);
    if (!device.isFormatSupported(fmt)) {
        fmt = device.preferredFormat();
        if (fmt.sampleFormat() != QAudioFormat::Int16 && fmt.sampleFormat() != QAudioFormat::Float) {
            QAudioFormat int16 = fmt;
            int16.setSampleFormat(QAudioFormat::Int16);
            if (!device.isFormatSupported(int16)) {
                *error = QStringLiteral("%1: no PCM16 or float output format").arg(device.description());
                return false;
            }
            fmt = int16;
        }
        m_resampler = std::make_unique<Resampler>(m_playing.sampleRate, 1, fmt.sampleRate());
        if (!m_resampler->isValid()) {
            *error = QStringLiteral("%1: %2").arg(device.description(), m_resampler->errorString());
            m_resampler.reset();
            return false;
        }
    }
    m_format = fmt;
    m_sink = std::make_unique<QAudioSink>(device, fmt);
    m_sink->setBufferSize(fmt.bytesForDuration(300000)); // 300 ms covers network jitter
    m_sink->setVolume(m_muted ? 0.0 : m_volume);
    m_io = m_sink->start();
    if (!m_io) {
        *error = QStringLiteral("%1: could not start playback (error %2)")
                     .arg(device.description()).arg(int(m_sink->error()));
        m_sink.reset();
        m_resampler.reset();
        return false;
    }
    return true;
}

void MonitorSink::stop()
{
    if (m_sink)
        m_sink->stop();
    m_sink.reset();
    m_io = nullptr;
    m_resampler.reset();
}

bool MonitorSink::isActive() const
{
    return m_io != nullptr;
}

void MonitorSink::setMuted(bool muted)
{
    m_muted = muted;
    if (m_sink)
        m_sink->setVolume(m_muted ? 0.0 : m_volume);
}

void MonitorSink::setVolume(double linear)
{
    m_volume = std::clamp(linear, 0.0, 1.0);
    if (m_sink)
        m_sink->setVolume(m_muted ? 0.0 : m_volume);
}

QByteArray MonitorSink::convert(const QByteArray &audio)
{
    QVector<qint16> pcm = m_playing.decode(audio);
    if (m_resampler)
        pcm = m_resampler->process(pcm.constData(), pcm.size());
    const int ch = std::max(1, m_format.channelCount());
    QByteArray out;
    if (m_format.sampleFormat() == QAudioFormat::Float) {
        out.resize(pcm.size() * ch * qsizetype(sizeof(float)));
        auto *dst = reinterpret_cast<float *>(out.data());
        for (qint16 s : pcm)
            for (int c = 0; c < ch; ++c)
                *dst++ = float(s) / 32768.0f;
    } else {
        out.resize(pcm.size() * ch * qsizetype(sizeof(qint16)));
        auto *dst = reinterpret_cast<qint16 *>(out.data());
        for (qint16 s : pcm)
            for (int c = 0; c < ch; ++c)
                *dst++ = s;
    }
    return out;
}

void MonitorSink::play(const QByteArray &audio)
{
    if (!m_io || !m_sink || audio.isEmpty())
        return;
    const QByteArray data = convert(audio);
    const qsizetype room = m_sink->bytesFree();
    if (room < data.size()) {
        m_dropped += audio.size();
        return;
    }
    m_io->write(data);
    m_played += audio.size();
}

} // namespace pacelab::audioio

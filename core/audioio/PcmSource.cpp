#include "PcmSource.h"

#include "audio/WavFile.h"

#include <QCoreApplication>
#include <QFileInfo>
#include <algorithm>
#include <cmath>
#include <numbers>

namespace pacelab::audioio {

namespace {
double dbfsToAmplitude(double dbfs)
{
    return 32767.0 * std::pow(10.0, std::clamp(dbfs, -120.0, 0.0) / 20.0);
}
} // namespace

PcmSource::~PcmSource() = default;

bool PcmSource::open(QString *)
{
    return true;
}

QString SilenceSource::name() const
{
    return QStringLiteral("silence");
}

qsizetype SilenceSource::read(QVector<qint16> &out, qsizetype frames)
{
    out.resize(out.size() + frames, 0);
    return frames;
}

ToneSource::ToneSource(double freqHz, double levelDbfs, int sampleRate)
    : m_rate(sampleRate > 0 ? sampleRate : kTwilioRate)
    , m_freq(std::clamp(freqHz, 1.0, m_rate / 2.0 - 1.0))
    , m_level(levelDbfs)
    , m_amp(dbfsToAmplitude(levelDbfs))
{
}

QString ToneSource::name() const
{
    return QStringLiteral("tone %1 Hz %2 dBFS").arg(m_freq).arg(m_level);
}

qsizetype ToneSource::read(QVector<qint16> &out, qsizetype frames)
{
    const double step = 2.0 * std::numbers::pi * m_freq / m_rate;
    out.reserve(out.size() + frames);
    for (qsizetype i = 0; i < frames; ++i) {
        out.append(qint16(std::lround(m_amp * std::sin(m_phase))));
        m_phase += step;
        if (m_phase > 2.0 * std::numbers::pi)
            m_phase -= 2.0 * std::numbers::pi; // keeps precision over hours
    }
    return frames;
}

NoiseSource::NoiseSource(double levelDbfs, int sampleRate)
    : m_rate(sampleRate > 0 ? sampleRate : kTwilioRate)
    , m_level(levelDbfs)
    , m_amp(dbfsToAmplitude(levelDbfs))
{
}

QString NoiseSource::name() const
{
    return QStringLiteral("white noise %1 dBFS").arg(m_level);
}

qsizetype NoiseSource::read(QVector<qint16> &out, qsizetype frames)
{
    out.reserve(out.size() + frames);
    for (qsizetype i = 0; i < frames; ++i) {
        // xorshift32: cheap, endless, deterministic.
        m_state ^= m_state << 13;
        m_state ^= m_state >> 17;
        m_state ^= m_state << 5;
        const double u = double(m_state) / 4294967295.0 * 2.0 - 1.0;
        out.append(qint16(std::lround(u * m_amp)));
    }
    return frames;
}

BufferSource::BufferSource(QString name, Maker make, bool loop)
    : m_name(std::move(name))
    , m_make(std::move(make))
    , m_loop(loop)
{
}

bool BufferSource::open(QString *error)
{
    QString err;
    PcmBuffer pcm;
    if (!m_make || !m_make(&pcm, &err)) {
        if (error)
            *error = err.isEmpty() ? QStringLiteral("%1: could not prepare the audio").arg(m_name) : err;
        return false;
    }
    if (pcm.sampleRate <= 0 || pcm.channels <= 0) {
        if (error)
            *error = QStringLiteral("%1: invalid audio format (%2 Hz, %3 channels)")
                         .arg(m_name).arg(pcm.sampleRate).arg(pcm.channels);
        return false;
    }
    if (pcm.frames() == 0) {
        if (error)
            *error = QStringLiteral("%1: no audio in it").arg(m_name);
        return false;
    }
    m_pcm = std::move(pcm);
    m_pos = 0;
    return true;
}

qsizetype BufferSource::read(QVector<qint16> &out, qsizetype frames)
{
    qsizetype done = 0;
    while (done < frames) {
        if (m_pos >= m_pcm.frames()) {
            if (!m_loop || m_pcm.frames() == 0)
                break;
            m_pos = 0;
            ++m_loops;
        }
        const qsizetype n = std::min(frames - done, m_pcm.frames() - m_pos);
        const qint16 *src = m_pcm.samples.constData() + m_pos * m_pcm.channels;
        const qsizetype count = n * m_pcm.channels;
        const qsizetype old = out.size();
        out.resize(old + count);
        std::copy(src, src + count, out.data() + old);
        m_pos += n;
        done += n;
    }
    return done;
}

double BufferSource::progress() const
{
    const qsizetype total = m_pcm.frames();
    return total > 0 ? double(m_pos) / double(total) : 0.0;
}

BufferSource::Maker BufferSource::wavFile(const QString &path)
{
    return [path](PcmBuffer *pcm, QString *error) {
        const wav::ReadResult r = wav::readFile(path);
        if (!r.ok) {
            *error = QStringLiteral("%1: %2").arg(QFileInfo(path).fileName(), r.error);
            return false;
        }
        *pcm = r.pcm;
        return true;
    };
}

BufferSource::Maker BufferSource::fromBuffer(PcmBuffer buffer)
{
    return [buffer](PcmBuffer *pcm, QString *) {
        *pcm = buffer;
        return true;
    };
}

} // namespace pacelab::audioio

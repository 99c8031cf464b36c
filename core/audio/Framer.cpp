#include "Framer.h"

#include <algorithm>

namespace pacelab {

struct Framer::Private
{
    Private(int rate, int channels, const MediaFormat &target)
        : format(target), frameSamples(target.samplesPerFrame()), resampler(rate, channels, target.sampleRate)
    {
    }
    const MediaFormat format;
    const qsizetype frameSamples;
    Resampler resampler;
    QVector<qint16> pending; // target rate, mono, always < frameSamples between calls
    qint64 samplesIn = 0;
    qint64 framesOut = 0;

    bool valid() const { return format.isValid() && frameSamples > 0 && resampler.isValid(); }

    void cut(const QVector<qint16> &pcm, QList<QByteArray> &frames)
    {
        samplesIn += pcm.size();
        qsizetype pos = 0;
        if (!pending.isEmpty()) {
            const qsizetype take = std::min<qsizetype>(frameSamples - pending.size(), pcm.size());
            pending.append(pcm.mid(0, take));
            pos = take;
            if (pending.size() < frameSamples)
                return;
            frames.append(format.encode(pending.constData(), frameSamples));
            pending.clear();
        }
        for (; pcm.size() - pos >= frameSamples; pos += frameSamples)
            frames.append(format.encode(pcm.constData() + pos, frameSamples));
        pending.append(pcm.mid(pos));
    }
};

Framer::Framer(int inputRate, int inputChannels) : Framer(inputRate, inputChannels, MediaFormat::mulaw8k()) {}

Framer::Framer(int inputRate, int inputChannels, const MediaFormat &target)
    : d(std::make_unique<Private>(inputRate, inputChannels, target))
{
    if (d->frameSamples > 0)
        d->pending.reserve(d->frameSamples);
}

Framer::~Framer() = default;

bool Framer::isValid() const { return d->valid(); }

QString Framer::errorString() const
{
    if (!d->format.isValid() || d->frameSamples <= 0)
        return QStringLiteral("framer: unusable target format %1 Hz, %2 ms frames")
            .arg(d->format.sampleRate)
            .arg(d->format.frameMs);
    return isValid() ? QString() : QStringLiteral("framer: %1").arg(d->resampler.errorString());
}

const MediaFormat &Framer::format() const { return d->format; }

QList<QByteArray> Framer::push(const qint16 *interleaved, qsizetype frames)
{
    QList<QByteArray> out;
    if (!isValid() || !interleaved || frames <= 0)
        return out;
    d->cut(d->resampler.process(interleaved, frames), out);
    d->framesOut += out.size();
    return out;
}

QList<QByteArray> Framer::push(const QVector<qint16> &interleaved)
{
    const int ch = d->resampler.inputChannels();
    if (ch <= 0)
        return {};
    // A trailing partial sample group (fewer values than channels) cannot be framed: dropped.
    return push(interleaved.constData(), interleaved.size() / ch);
}

Framer::FlushResult Framer::flush()
{
    FlushResult r;
    if (!isValid())
        return r;
    d->cut(d->resampler.flush(), r.frames);
    if (!d->pending.isEmpty()) {
        r.paddedSamples = int(d->frameSamples - d->pending.size());
        QByteArray last = d->format.encode(d->pending.constData(), d->pending.size());
        last.append(d->format.silence(r.paddedSamples * d->format.bytesPerSample()));
        r.frames.append(last);
        d->pending.clear();
    }
    d->framesOut += r.frames.size();
    return r;
}

qsizetype Framer::pendingSamples() const { return d->pending.size(); }
qint64 Framer::samplesAtTargetRate() const { return d->samplesIn; }
qint64 Framer::framesOut() const { return d->framesOut; }

} // namespace pacelab

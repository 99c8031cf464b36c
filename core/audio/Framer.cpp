#include "Framer.h"

#include "G711.h"

#include <algorithm>

namespace pacelab {

struct Framer::Private
{
    explicit Private(int rate, int channels) : resampler(rate, channels, kTwilioRate) {}
    Resampler resampler;
    QVector<qint16> pending; // 8 kHz mono, always < kFrameSamples between calls
    qint64 samplesIn = 0;
    qint64 framesOut = 0;

    void cut(const QVector<qint16> &pcm8k, QList<QByteArray> &frames)
    {
        samplesIn += pcm8k.size();
        qsizetype pos = 0;
        if (!pending.isEmpty()) {
            const qsizetype take = std::min<qsizetype>(kFrameSamples - pending.size(), pcm8k.size());
            pending.append(pcm8k.mid(0, take));
            pos = take;
            if (pending.size() < kFrameSamples)
                return;
            frames.append(g711::encodeMulaw(pending.constData(), kFrameSamples));
            pending.clear();
        }
        for (; pcm8k.size() - pos >= kFrameSamples; pos += kFrameSamples)
            frames.append(g711::encodeMulaw(pcm8k.constData() + pos, kFrameSamples));
        pending.append(pcm8k.mid(pos));
    }
};

Framer::Framer(int inputRate, int inputChannels)
    : d(std::make_unique<Private>(inputRate, inputChannels))
{
    d->pending.reserve(kFrameSamples);
}

Framer::~Framer() = default;

bool Framer::isValid() const { return d->resampler.isValid(); }

QString Framer::errorString() const
{
    return isValid() ? QString() : QStringLiteral("framer: %1").arg(d->resampler.errorString());
}

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
        r.paddedSamples = int(kFrameSamples - d->pending.size());
        QByteArray last = g711::encodeMulaw(d->pending.constData(), d->pending.size());
        last.append(r.paddedSamples, char(g711::kMulawSilence));
        r.frames.append(last);
        d->pending.clear();
    }
    d->framesOut += r.frames.size();
    return r;
}

qsizetype Framer::pendingSamples() const { return d->pending.size(); }
qint64 Framer::samplesIn8k() const { return d->samplesIn; }
qint64 Framer::framesOut() const { return d->framesOut; }

} // namespace pacelab

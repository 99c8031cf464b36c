#include "Resampler.h"

#include <soxr.h>

#include <algorithm>
#include <cmath>

namespace pacelab {

struct Resampler::Private
{
    int inRate = 0;
    int channels = 0;
    int outRate = 0;
    QString error;
    soxr_t soxr = nullptr; // null for pass-through (equal rates) or when invalid
    std::vector<float> monoIn;
    std::vector<float> floatOut;

    ~Private()
    {
        if (soxr)
            soxr_delete(soxr);
    }

    // Drains soxr into `out`, feeding `in` (null = flush). Loops because one call may not
    // consume all input when the output buffer fills up.
    void run(const float *in, size_t len, QVector<qint16> &out)
    {
        size_t offset = 0;
        for (int guard = 0; guard < 1000000; ++guard) {
            const size_t want = in ? len - offset : 0;
            const size_t room = size_t(std::ceil(double(std::max<size_t>(want, 1024)) * outRate / inRate)) + 64;
            if (floatOut.size() < room)
                floatOut.resize(room);
            size_t idone = 0, odone = 0;
            const soxr_error_t err = soxr_process(soxr, in ? in + offset : nullptr, want, &idone,
                                                  floatOut.data(), floatOut.size(), &odone);
            if (err) {
                error = QStringLiteral("libsoxr: %1").arg(QString::fromUtf8(soxr_strerror(err)));
                return;
            }
            for (size_t i = 0; i < odone; ++i)
                out.append(qint16(std::clamp(std::lrint(double(floatOut[i]) * 32768.0), -32768L, 32767L)));
            offset += idone;
            if (in ? (offset >= len && odone < floatOut.size()) : odone == 0)
                return;
        }
    }
};

static QString checkRate(const char *what, int rate)
{
    if (rate < Resampler::kMinRate || rate > Resampler::kMaxRate)
        return QStringLiteral("%1 rate %2 Hz is out of range (%3..%4 Hz)")
            .arg(QLatin1String(what)).arg(rate).arg(Resampler::kMinRate).arg(Resampler::kMaxRate);
    return {};
}

Resampler::Resampler(int inputRate, int inputChannels, int outputRate)
    : d(std::make_unique<Private>())
{
    d->inRate = inputRate;
    d->channels = inputChannels;
    d->outRate = outputRate;
    d->error = checkRate("input", inputRate);
    if (d->error.isEmpty())
        d->error = checkRate("output", outputRate);
    if (d->error.isEmpty() && (inputChannels < 1 || inputChannels > kMaxChannels))
        d->error = QStringLiteral("channel count %1 is out of range (1..%2)").arg(inputChannels).arg(kMaxChannels);
    if (!d->error.isEmpty() || inputRate == outputRate)
        return;
    // Float in/out: we round and clamp to PCM16 ourselves, so there is no dither and the output
    // is deterministic (soxr dithers INT16 output by default). HQ: see docs/audio.md.
    soxr_error_t err = nullptr;
    const soxr_io_spec_t io = soxr_io_spec(SOXR_FLOAT32_I, SOXR_FLOAT32_I);
    const soxr_quality_spec_t q = soxr_quality_spec(SOXR_HQ, 0);
    const soxr_runtime_spec_t rt = soxr_runtime_spec(1); // one thread: we run many streams on 2 cores
    d->soxr = soxr_create(inputRate, outputRate, 1, &err, &io, &q, &rt);
    if (err || !d->soxr) {
        d->error = QStringLiteral("libsoxr could not be set up for %1 -> %2 Hz: %3")
                       .arg(inputRate).arg(outputRate).arg(QString::fromUtf8(err ? err : "unknown error"));
        if (d->soxr) {
            soxr_delete(d->soxr);
            d->soxr = nullptr;
        }
    }
}

Resampler::~Resampler() = default;

bool Resampler::isValid() const { return d->error.isEmpty(); }
QString Resampler::errorString() const { return d->error; }
int Resampler::inputRate() const { return d->inRate; }
int Resampler::inputChannels() const { return d->channels; }
int Resampler::outputRate() const { return d->outRate; }

QVector<qint16> Resampler::process(const qint16 *interleaved, qsizetype frames)
{
    QVector<qint16> out;
    if (!isValid() || !interleaved || frames <= 0)
        return out;
    const int ch = d->channels;
    if (!d->soxr) {
        // Pass-through: only the downmix (average, rounded to nearest, clamped).
        out.resize(frames);
        if (ch == 1) {
            std::copy(interleaved, interleaved + frames, out.begin());
            return out;
        }
        for (qsizetype f = 0; f < frames; ++f) {
            int sum = 0;
            for (int c = 0; c < ch; ++c)
                sum += interleaved[f * ch + c];
            out[f] = qint16(std::clamp(std::lround(double(sum) / ch), -32768L, 32767L));
        }
        return out;
    }
    // Downmix straight to float: no intermediate rounding before the filter.
    d->monoIn.resize(size_t(frames));
    for (qsizetype f = 0; f < frames; ++f) {
        int sum = 0;
        for (int c = 0; c < ch; ++c)
            sum += interleaved[f * ch + c];
        d->monoIn[size_t(f)] = float(double(sum) / (ch * 32768.0));
    }
    out.reserve(qsizetype(double(frames) * d->outRate / d->inRate) + 16);
    d->run(d->monoIn.data(), size_t(frames), out);
    return out;
}

QVector<qint16> Resampler::flush()
{
    QVector<qint16> out;
    if (!isValid() || !d->soxr)
        return out;
    d->run(nullptr, 0, out);
    soxr_clear(d->soxr);
    return out;
}

} // namespace pacelab

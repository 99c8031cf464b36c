#include "ProfileAudio.h"

#include "CheckUtil.h"

#include "audio/Resampler.h"

#include <QJsonDocument>
#include <QJsonObject>

#include <algorithm>
#include <cmath>

namespace pacelab::check {

// ---- FormatFramer ---------------------------------------------------------------------------

struct FormatFramer::Private
{
    Private(int inputRate, int outputRate) : resampler(inputRate, 1, outputRate) {}
    Resampler resampler;
    QVector<qint16> pending; // samples at the format's rate waiting for a whole frame
};

FormatFramer::FormatFramer(int inputRate, const MediaFormat &format)
    : d(std::make_unique<Private>(inputRate, format.sampleRate)), m_format(format)
{
}

FormatFramer::~FormatFramer() = default;

bool FormatFramer::isValid() const
{
    return m_format.isValid() && d->resampler.isValid();
}

QString FormatFramer::errorString() const
{
    if (!m_format.isValid())
        return QStringLiteral("unusable audio format: %1").arg(m_format.describe());
    return d->resampler.errorString();
}

QList<QByteArray> FormatFramer::push(const qint16 *samples, qsizetype count)
{
    QList<QByteArray> out;
    if (!isValid() || count <= 0)
        return out;
    d->pending += d->resampler.process(samples, count);
    const qsizetype n = m_format.samplesPerFrame();
    qsizetype at = 0;
    for (; at + n <= d->pending.size(); at += n)
        out.append(m_format.encode(d->pending.constData() + at, n));
    d->pending.remove(0, at);
    return out;
}

QList<QByteArray> FormatFramer::flush()
{
    QList<QByteArray> out;
    if (!isValid())
        return out;
    d->pending += d->resampler.flush();
    const qsizetype n = m_format.samplesPerFrame();
    qsizetype at = 0;
    for (; at + n <= d->pending.size(); at += n)
        out.append(m_format.encode(d->pending.constData() + at, n));
    if (at < d->pending.size()) {
        QVector<qint16> last(d->pending.mid(at));
        last.resize(n, 0); // padded with silence: the last partial frame only
        out.append(m_format.encode(last));
    }
    d->pending.clear();
    return out;
}

// ---- level ----------------------------------------------------------------------------------

double audioDbfs(const QByteArray &audio, const MediaFormat &format)
{
    if (format.encoding == MediaFormat::Encoding::Mulaw)
        return mulawDbfs(audio); // exactly what the Twilio-only checklist measured
    const QVector<qint16> pcm = format.decode(audio);
    if (pcm.isEmpty())
        return -120.0;
    double sum = 0;
    for (qint16 s : pcm) {
        const double v = s / 32768.0;
        sum += v * v;
    }
    const double rms = std::sqrt(sum / pcm.size());
    return rms > 0 ? std::max(-120.0, 20.0 * std::log10(rms * std::sqrt(2.0))) : -120.0;
}

// ---- numbered silence -----------------------------------------------------------------------

namespace {
constexpr int kMagicBits[8] = {1, 0, 1, 1, 0, 0, 1, 0}; // CheckUtil's mu-law marker, as bits
constexpr int kTagUnits = 8 + 32;

// The two "zero" units of a format: bit 0 and bit 1. A unit is a byte (G.711) or a sample (L16).
QByteArray unitBytes(const MediaFormat &f, int bit)
{
    switch (f.encoding) {
    case MediaFormat::Encoding::Mulaw: return QByteArray(1, char(bit ? 0x7F : 0xFF));
    case MediaFormat::Encoding::Alaw: return QByteArray(1, char(bit ? 0x55 : 0xD5));
    case MediaFormat::Encoding::L16: break;
    }
    return bit ? QByteArray::fromRawData("\x01\x00", 2) : QByteArray(2, '\0');
}
} // namespace

QByteArray taggedFrame(quint32 number, int bytes, const MediaFormat &format)
{
    if (format.encoding == MediaFormat::Encoding::Mulaw)
        return check::taggedFrame(number, bytes);
    const int unit = format.bytesPerSample();
    QByteArray f = format.silence(qMax(0, bytes));
    if (bytes < kTagUnits * unit)
        return f;
    for (int i = 0; i < kTagUnits; ++i) {
        const int bit = i < 8 ? kMagicBits[i] : int((number >> (31 - (i - 8))) & 1u);
        f.replace(i * unit, unit, unitBytes(format, bit));
    }
    return f;
}

std::optional<quint32> readFrameTag(const QByteArray &audio, const MediaFormat &format)
{
    if (format.encoding == MediaFormat::Encoding::Mulaw)
        return check::readFrameTag(audio);
    const int unit = format.bytesPerSample();
    if (audio.size() < kTagUnits * unit)
        return std::nullopt;
    const QByteArray zero = unitBytes(format, 0), one = unitBytes(format, 1);
    quint32 n = 0;
    for (int i = 0; i < kTagUnits; ++i) {
        const QByteArray u = audio.mid(i * unit, unit);
        const int bit = u == one ? 1 : u == zero ? 0 : -1;
        if (bit < 0 || (i < 8 && bit != kMagicBits[i]))
            return std::nullopt;
        if (i >= 8)
            n = (n << 1) | quint32(bit);
    }
    return n;
}

// ---- protocol -------------------------------------------------------------------------------

provider::Event streamStartEvent(const provider::Profile &profile)
{
    qint64 seq = 0;
    const QList<provider::WireMessage> hs = profile.encodeHandshake(profile.withIds({}), &seq);
    provider::Event last = provider::Event::Start;
    for (const provider::WireMessage &m : hs) {
        const provider::ParseResult r = profile.parseFromProvider(m.data, m.binary);
        if (!r.ok())
            continue;
        if (r.message.event == provider::Event::Start)
            return provider::Event::Start;
        last = r.message.event;
    }
    return last;
}

MediaName mediaName(const provider::Profile &profile)
{
    const provider::WireMessage m = profile.encodeMedia(QStringLiteral("probe"), profile.outboundFormat().silenceFrame());
    if (m.binary)
        return {};
    const QJsonObject o = QJsonDocument::fromJson(m.data).object();
    for (const char *key : {"event", "action", "type"}) {
        const QString k = QString::fromLatin1(key);
        if (o.value(k).isString())
            return {k, o.value(k).toString()};
    }
    return {};
}

bool looksLikeMedia(const QByteArray &json, const MediaName &name)
{
    if (name.isEmpty())
        return false;
    return QJsonDocument::fromJson(json).object().value(name.key).toString() == name.value;
}

QString describeProvider(provider::Id id)
{
    const provider::Profile &p = provider::profile(id);
    return QStringLiteral("%1 (%2), %3%4")
        .arg(p.displayName(), p.name(), p.outboundFormat().describe(),
             p.outboundAudioIsBinary() ? QStringLiteral(", binary frames") : QString());
}

} // namespace pacelab::check

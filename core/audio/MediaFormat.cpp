#include "audio/MediaFormat.h"

#include "audio/G711.h"

#include <QtEndian>

namespace pacelab {

QByteArray MediaFormat::silence(int bytes) const
{
    switch (encoding) {
    case Encoding::Mulaw: return QByteArray(bytes, char(g711::kMulawSilence));
    case Encoding::Alaw: return QByteArray(bytes, char(g711::kAlawSilence));
    case Encoding::L16: break;
    }
    return QByteArray(bytes, '\0');
}

QByteArray MediaFormat::encode(const qint16 *samples, qsizetype count) const
{
    switch (encoding) {
    case Encoding::Mulaw: return g711::encodeMulaw(samples, count);
    case Encoding::Alaw: return g711::encodeAlaw(samples, count);
    case Encoding::L16: break;
    }
    QByteArray out(count * 2, Qt::Uninitialized);
    for (qsizetype i = 0; i < count; ++i)
        qToLittleEndian<qint16>(samples[i], out.data() + 2 * i);
    return out;
}

QVector<qint16> MediaFormat::decode(const QByteArray &bytes) const
{
    QVector<qint16> out;
    switch (encoding) {
    case Encoding::Mulaw:
        out.resize(bytes.size());
        g711::decodeMulaw(bytes, out.data());
        return out;
    case Encoding::Alaw:
        out.resize(bytes.size());
        g711::decodeAlaw(bytes, out.data());
        return out;
    case Encoding::L16: break;
    }
    out.resize(bytes.size() / 2);
    for (qsizetype i = 0; i < out.size(); ++i)
        out[i] = qFromLittleEndian<qint16>(bytes.constData() + 2 * i);
    return out;
}

QString MediaFormat::encodingName() const
{
    switch (encoding) {
    case Encoding::Mulaw: return QStringLiteral("mu-law");
    case Encoding::Alaw: return QStringLiteral("A-law");
    case Encoding::L16: break;
    }
    return QStringLiteral("L16");
}

QString MediaFormat::describe() const
{
    const QString rate = sampleRate % 1000 == 0 ? QString::number(sampleRate / 1000) : QString::number(sampleRate / 1000.0, 'f', 1);
    return QStringLiteral("%1 kHz %2, %3 ms frames (%4 B)").arg(rate, encodingName()).arg(frameMs).arg(frameBytes());
}

} // namespace pacelab

#include "WavFile.h"

#include "util/FileUtil.h"

#include "G711.h"

#include <QFile>
#include <QFileInfo>
#include <QtEndian>

#include <algorithm>
#include <cmath>
#include <cstring>

namespace pacelab::wav {
namespace {

constexpr quint16 kTagPcm = 1;
constexpr quint16 kTagFloat = 3;
constexpr quint16 kTagAlaw = 6;
constexpr quint16 kTagMulaw = 7;
constexpr quint16 kTagExtensible = 0xFFFE;
// KSDATAFORMAT_SUBTYPE_* GUIDs are {XXXXXXXX-0000-0010-8000-00AA00389B71}: the format code in
// the first two bytes, then this fixed tail.
constexpr unsigned char kGuidTail[14] = {0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00,
                                         0x00, 0xAA, 0x00, 0x38, 0x9B, 0x71};

quint16 u16(const char *p) { return qFromLittleEndian<quint16>(p); }
quint32 u32(const char *p) { return qFromLittleEndian<quint32>(p); }

QString fourcc(const char *p)
{
    QString s;
    for (int i = 0; i < 4; ++i) {
        const uchar c = uchar(p[i]);
        s += (c >= 0x20 && c < 0x7F) ? QChar(c) : QChar(u'?');
    }
    return s;
}

QString formatName(quint16 tag)
{
    switch (tag) {
    case 0x0002: return QStringLiteral("Microsoft ADPCM");
    case 0x0011: return QStringLiteral("IMA ADPCM");
    case 0x0031: return QStringLiteral("GSM 6.10");
    case 0x0050: return QStringLiteral("MPEG");
    case 0x0055: return QStringLiteral("MP3");
    case 0x0064: return QStringLiteral("G.721 ADPCM");
    case 0x0000: return QStringLiteral("unknown/invalid");
    default: return QStringLiteral("not a PCM/float/G.711 code");
    }
}

QString hex4(quint16 v) { return QStringLiteral("0x%1").arg(v, 4, 16, QLatin1Char('0')); }

ReadResult fail(const QString &error)
{
    ReadResult r;
    r.error = error;
    return r;
}

void put16(QByteArray &b, quint16 v)
{
    char c[2];
    qToLittleEndian(v, c);
    b.append(c, 2);
}

void put32(QByteArray &b, quint32 v)
{
    char c[4];
    qToLittleEndian(v, c);
    b.append(c, 4);
}

// Canonical header + data. `frames` is for the fact chunk of non-PCM formats.
QByteArray buildFile(quint16 tag, int channels, int rate, int bits, const QByteArray &data, quint32 frames)
{
    const bool nonPcm = tag != kTagPcm;
    const quint32 fmtSize = nonPcm ? 18 : 16;
    const quint32 pad = data.size() & 1;
    const quint32 riffSize = 4 + (8 + fmtSize) + (nonPcm ? 12 : 0) + 8 + quint32(data.size()) + pad;
    QByteArray b;
    b.reserve(qsizetype(riffSize) + 8);
    b.append("RIFF", 4);
    put32(b, riffSize);
    b.append("WAVE", 4);
    b.append("fmt ", 4);
    put32(b, fmtSize);
    put16(b, tag);
    put16(b, quint16(channels));
    put32(b, quint32(rate));
    const int blockAlign = channels * bits / 8;
    put32(b, quint32(rate) * quint32(blockAlign));
    put16(b, quint16(blockAlign));
    put16(b, quint16(bits));
    if (nonPcm) {
        put16(b, 0); // cbSize
        b.append("fact", 4);
        put32(b, 4);
        put32(b, frames);
    }
    b.append("data", 4);
    put32(b, quint32(data.size()));
    b.append(data);
    if (pad)
        b.append('\0');
    return b;
}

QString checkBuffer(const PcmBuffer &pcm)
{
    if (pcm.channels < 1 || pcm.channels > kMaxChannels)
        return QStringLiteral("cannot write WAV: channel count %1 is out of range (1..%2)").arg(pcm.channels).arg(kMaxChannels);
    if (pcm.sampleRate < 1 || pcm.sampleRate > kMaxSampleRate)
        return QStringLiteral("cannot write WAV: sample rate %1 Hz is out of range (1..%2)").arg(pcm.sampleRate).arg(kMaxSampleRate);
    if (pcm.samples.size() % pcm.channels != 0)
        return QStringLiteral("cannot write WAV: %1 samples is not a whole number of %2-channel frames")
            .arg(pcm.samples.size()).arg(pcm.channels);
    if (qint64(pcm.samples.size()) * 4 > qint64(0xFFFFFF00))
        return QStringLiteral("cannot write WAV: %1 samples do not fit the 4 GiB RIFF size limit").arg(pcm.samples.size());
    return {};
}

} // namespace

QString encodingName(Encoding encoding)
{
    switch (encoding) {
    case Encoding::Pcm16: return QStringLiteral("PCM 16-bit");
    case Encoding::Pcm8: return QStringLiteral("PCM 8-bit unsigned");
    case Encoding::Float32: return QStringLiteral("float 32-bit");
    case Encoding::Mulaw: return QStringLiteral("G.711 mu-law");
    case Encoding::Alaw: return QStringLiteral("G.711 A-law");
    }
    return QStringLiteral("unknown");
}

ReadResult readBytes(const QByteArray &bytes)
{
    const char *p = bytes.constData();
    const quint64 fileSize = quint64(bytes.size());
    if (fileSize < 12)
        return fail(QStringLiteral("truncated header: %1 bytes, a WAV file starts with a 12-byte RIFF/WAVE header").arg(fileSize));
    if (std::memcmp(p, "RIFF", 4) != 0) {
        if (std::memcmp(p, "RIFX", 4) == 0 || std::memcmp(p, "RF64", 4) == 0)
            return fail(QStringLiteral("unsupported container '%1' (only little-endian RIFF WAVE is supported)").arg(fourcc(p)));
        return fail(QStringLiteral("not a RIFF file (starts with '%1')").arg(fourcc(p)));
    }
    if (std::memcmp(p + 8, "WAVE", 4) != 0)
        return fail(QStringLiteral("not a WAVE file (RIFF form type is '%1')").arg(fourcc(p + 8)));
    // The RIFF size is often wrong in streamed recordings (0 or 0xFFFFFFFF as "unknown"); the
    // real end is the smaller of it and the file. Chunk sizes are then checked against that.
    const quint32 riffSize = u32(p + 4);
    const quint64 end = (riffSize < 4 || riffSize == 0xFFFFFFFFu)
        ? fileSize : std::min<quint64>(fileSize, quint64(riffSize) + 8);

    bool haveFmt = false, haveData = false;
    quint64 dataOffset = 0, dataSize = 0;
    quint16 tag = 0, channels = 0, blockAlign = 0, bits = 0, realTag = 0;
    quint32 rate = 0;
    quint64 pos = 12;
    while (pos + 8 <= end) {
        const char *h = p + pos;
        const quint64 size = u32(h + 4);
        const QString id = fourcc(h);
        if (pos + 8 + size > end)
            return fail(QStringLiteral("chunk '%1' at offset %2 size %3 runs past end of file (%4 bytes)")
                            .arg(id).arg(pos).arg(size).arg(end));
        const char *body = h + 8;
        if (std::memcmp(h, "fmt ", 4) == 0) {
            if (haveFmt)
                return fail(QStringLiteral("duplicate fmt chunk at offset %1").arg(pos));
            if (size < 16)
                return fail(QStringLiteral("fmt chunk too short: %1 bytes, needs at least 16").arg(size));
            haveFmt = true;
            tag = u16(body);
            channels = u16(body + 2);
            rate = u32(body + 4);
            blockAlign = u16(body + 12);
            bits = u16(body + 14);
            realTag = tag;
            if (tag == kTagExtensible) {
                if (size < 40)
                    return fail(QStringLiteral("extensible fmt chunk too short: %1 bytes, needs 40").arg(size));
                const quint16 cbSize = u16(body + 16);
                if (cbSize < 22)
                    return fail(QStringLiteral("extensible fmt chunk has cbSize %1, needs at least 22").arg(cbSize));
                const quint16 validBits = u16(body + 18);
                if (validBits != 0 && validBits != bits)
                    return fail(QStringLiteral("extensible fmt: %1 valid bits in a %2-bit container is not supported").arg(validBits).arg(bits));
                const char *guid = body + 24;
                if (std::memcmp(guid + 2, kGuidTail, sizeof kGuidTail) != 0)
                    return fail(QStringLiteral("unsupported extensible sub-format GUID (not a KSDATAFORMAT_SUBTYPE_* format code)"));
                realTag = u16(guid);
            }
        } else if (std::memcmp(h, "data", 4) == 0) {
            if (haveData)
                return fail(QStringLiteral("duplicate data chunk at offset %1").arg(pos));
            haveData = true;
            dataOffset = pos + 8;
            dataSize = size;
        }
        // Anything else (LIST, fact, cue, JUNK, bext...) is skipped. Chunks are word aligned: an
        // odd size is followed by a pad byte (tolerated if the file ends right there).
        pos += 8 + size + (size & 1);
    }

    if (!haveFmt)
        return fail(haveData ? QStringLiteral("fmt chunk missing (data chunk found without a format)")
                             : QStringLiteral("fmt chunk missing (no fmt or data chunk in %1 bytes)").arg(end));
    if (!haveData)
        return fail(QStringLiteral("data chunk missing"));
    if (channels == 0)
        return fail(QStringLiteral("zero channels in fmt chunk"));
    if (channels > kMaxChannels)
        return fail(QStringLiteral("absurd channel count %1 (max %2)").arg(channels).arg(kMaxChannels));
    if (rate == 0)
        return fail(QStringLiteral("zero sample rate in fmt chunk"));
    if (rate > quint32(kMaxSampleRate))
        return fail(QStringLiteral("absurd sample rate %1 Hz (max %2)").arg(rate).arg(kMaxSampleRate));

    ReadResult r;
    switch (realTag) {
    case kTagPcm:
        if (bits == 16)
            r.info.encoding = Encoding::Pcm16;
        else if (bits == 8)
            r.info.encoding = Encoding::Pcm8;
        else
            return fail(QStringLiteral("unsupported PCM bit depth %1 (supported: 8, 16)").arg(bits));
        break;
    case kTagFloat:
        if (bits != 32)
            return fail(QStringLiteral("bits per sample mismatch: float format needs 32, header says %1").arg(bits));
        r.info.encoding = Encoding::Float32;
        break;
    case kTagMulaw:
    case kTagAlaw:
        if (bits != 8)
            return fail(QStringLiteral("bits per sample mismatch: %1 needs 8, header says %2")
                            .arg(realTag == kTagMulaw ? QStringLiteral("mu-law") : QStringLiteral("A-law")).arg(bits));
        r.info.encoding = realTag == kTagMulaw ? Encoding::Mulaw : Encoding::Alaw;
        break;
    default:
        return fail(QStringLiteral("unsupported format code %1 (%2)%3")
                        .arg(hex4(realTag), formatName(realTag),
                             tag == kTagExtensible ? QStringLiteral(" in extensible sub-format") : QString()));
    }
    const int bytesPerSample = bits / 8;
    if (blockAlign != channels * bytesPerSample)
        return fail(QStringLiteral("block align mismatch: header says %1, %2 channel(s) x %3 bits needs %4")
                        .arg(blockAlign).arg(channels).arg(bits).arg(channels * bytesPerSample));

    // Sizes are all bounded by the real bytes now: a trailing partial frame is dropped.
    const quint64 frames = dataSize / blockAlign;
    const qsizetype count = qsizetype(frames * channels);
    const char *data = p + dataOffset;
    r.info.sampleRate = int(rate);
    r.info.channels = channels;
    r.info.bitsPerSample = bits;
    r.info.formatTag = tag;
    r.pcm.sampleRate = int(rate);
    r.pcm.channels = channels;
    r.pcm.samples.resize(count);
    qint16 *out = r.pcm.samples.data();
    switch (r.info.encoding) {
    case Encoding::Pcm16:
        for (qsizetype i = 0; i < count; ++i)
            out[i] = qint16(u16(data + 2 * i));
        break;
    case Encoding::Pcm8:
        for (qsizetype i = 0; i < count; ++i)
            out[i] = qint16((int(uchar(data[i])) - 128) * 256);
        break;
    case Encoding::Float32:
        for (qsizetype i = 0; i < count; ++i) {
            const float f = qFromLittleEndian<float>(data + 4 * i);
            // Clip before rounding: lrint of +inf or of anything beyond long is LONG_MIN, which
            // turned a loud positive sample into full-scale negative.
            out[i] = std::isnan(f) ? 0 : qint16(std::lrint(std::clamp(double(f) * 32768.0, -32768.0, 32767.0)));
        }
        break;
    case Encoding::Mulaw:
        for (qsizetype i = 0; i < count; ++i)
            out[i] = g711::mulawToLinear(uchar(data[i]));
        break;
    case Encoding::Alaw:
        for (qsizetype i = 0; i < count; ++i)
            out[i] = g711::alawToLinear(uchar(data[i]));
        break;
    }
    r.ok = true;
    return r;
}

ReadResult readFile(const QString &path)
{
    const QFileInfo fi(path);
    if (path.isEmpty())
        return fail(QStringLiteral("no file name given"));
    if (!fi.exists())
        return fail(QStringLiteral("cannot read '%1': file not found").arg(path));
    if (fi.isDir())
        return fail(QStringLiteral("cannot read '%1': it is a directory, not a WAV file").arg(path));
    if (!fi.isFile())
        return fail(QStringLiteral("cannot read '%1': not a regular file").arg(path));
    if (fi.size() > kMaxFileBytes)
        return fail(QStringLiteral("cannot read '%1': %2 bytes is above the 2 GiB limit (%3 bytes) for WAV files")
                        .arg(path).arg(fi.size()).arg(kMaxFileBytes));
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return fail(QStringLiteral("cannot read '%1': %2").arg(path, f.errorString()));
    // Bounded read: the file may have grown since the size check.
    const QByteArray bytes = f.read(kMaxFileBytes + 1);
    if (f.error() != QFileDevice::NoError)
        return fail(QStringLiteral("cannot read '%1': %2").arg(path, f.errorString()));
    if (bytes.size() > kMaxFileBytes)
        return fail(QStringLiteral("cannot read '%1': file is above the 2 GiB limit for WAV files").arg(path));
    ReadResult r = readBytes(bytes);
    if (!r.ok)
        r.error = QStringLiteral("'%1': %2").arg(path, r.error);
    return r;
}

QByteArray toBytes(const PcmBuffer &pcm, Encoding encoding)
{
    if (!checkBuffer(pcm).isEmpty())
        return {};
    const qsizetype n = pcm.samples.size();
    const qint16 *s = pcm.samples.constData();
    const quint32 frames = quint32(n / pcm.channels);
    QByteArray data;
    switch (encoding) {
    case Encoding::Pcm16:
        data.resize(n * 2);
        for (qsizetype i = 0; i < n; ++i)
            qToLittleEndian(s[i], data.data() + 2 * i);
        return buildFile(kTagPcm, pcm.channels, pcm.sampleRate, 16, data, frames);
    case Encoding::Pcm8:
        data.resize(n);
        for (qsizetype i = 0; i < n; ++i) // round to nearest 8-bit step, clamp at the top
            data[i] = char(std::min((int(s[i]) + 128) >> 8, 127) + 128);
        return buildFile(kTagPcm, pcm.channels, pcm.sampleRate, 8, data, frames);
    case Encoding::Float32:
        data.resize(n * 4);
        for (qsizetype i = 0; i < n; ++i)
            qToLittleEndian(float(s[i]) / 32768.0f, data.data() + 4 * i);
        return buildFile(kTagFloat, pcm.channels, pcm.sampleRate, 32, data, frames);
    case Encoding::Mulaw:
        return buildFile(kTagMulaw, pcm.channels, pcm.sampleRate, 8, g711::encodeMulaw(s, n), frames);
    case Encoding::Alaw:
        return buildFile(kTagAlaw, pcm.channels, pcm.sampleRate, 8, g711::encodeAlaw(s, n), frames);
    }
    return {};
}

bool writeFile(const QString &path, const PcmBuffer &pcm, Encoding encoding, QString *error)
{
    const QString bad = checkBuffer(pcm);
    if (!bad.isEmpty()) {
        if (error)
            *error = bad;
        return false;
    }
    return saveFileAtomically(path, toBytes(pcm, encoding), error);
}

bool writeMulawFile(const QString &path, const QByteArray &mulaw, int sampleRate, QString *error)
{
    if (sampleRate < 1 || sampleRate > kMaxSampleRate) {
        if (error)
            *error = QStringLiteral("cannot write WAV: sample rate %1 Hz is out of range (1..%2)").arg(sampleRate).arg(kMaxSampleRate);
        return false;
    }
    if (qint64(mulaw.size()) > qint64(0xFFFFFF00)) {
        if (error)
            *error = QStringLiteral("cannot write WAV: %1 bytes do not fit the 4 GiB RIFF size limit").arg(mulaw.size());
        return false;
    }
    return saveFileAtomically(path, buildFile(kTagMulaw, 1, sampleRate, 8, mulaw, quint32(mulaw.size())), error);
}

} // namespace pacelab::wav

#include "G711.h"

#include <array>

// G.711 as the classic Sun/CCITT reference code computes it (mu-law: bias 0x84, clip 32635 in
// 16-bit terms; A-law: 13-bit segments), fed with the 16-bit sample rounded (half up, clamped)
// to the codec's 14-bit (mu) / 13-bit (A) input grid. That is exactly what sox does, and sox is
// our independent reference (tst_g711 checks all 65536 inputs). The whole computation is folded
// into 64 KiB tables built at compile time, so encoding is one lookup per sample.
namespace pacelab::g711 {
namespace {

constexpr int segmentOf(int value, const std::array<int, 8> &ends)
{
    for (int i = 0; i < 8; ++i)
        if (value <= ends[i])
            return i;
    return 8;
}

constexpr quint8 mulawFrom14(int v)
{
    constexpr std::array<int, 8> ends{0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF, 0x1FFF};
    int mask = 0xFF;
    if (v < 0) {
        v = -v;
        mask = 0x7F;
    }
    if (v > 8159) // 32635 >> 2
        v = 8159;
    v += 0x21; // bias 0x84 >> 2
    const int seg = segmentOf(v, ends);
    if (seg >= 8)
        return quint8(0x7F ^ mask);
    return quint8(((seg << 4) | ((v >> (seg + 1)) & 0xF)) ^ mask);
}

constexpr quint8 alawFrom13(int v)
{
    constexpr std::array<int, 8> ends{0x1F, 0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF};
    int mask = 0xD5;
    if (v < 0) {
        mask = 0x55;
        v = -v - 1;
    }
    const int seg = segmentOf(v, ends);
    if (seg >= 8)
        return quint8(0x7F ^ mask);
    int aval = seg << 4;
    aval |= (seg < 2 ? (v >> 1) : (v >> seg)) & 0xF;
    return quint8(aval ^ mask);
}

// 16-bit sample -> 14/13-bit grid, rounding half up and clamping at the top (as sox does).
constexpr int roundTo(int sample, int dropBits)
{
    const int maxOut = (32767 >> dropBits);
    const int v = (sample + (1 << (dropBits - 1))) >> dropBits; // arithmetic shift = floor
    return v > maxOut ? maxOut : v;
}

constexpr qint16 mulawDecode(quint8 code)
{
    const int u = ~code & 0xFF;
    int t = ((u & 0x0F) << 3) + 0x84;
    t <<= (u & 0x70) >> 4;
    return qint16((u & 0x80) ? (0x84 - t) : (t - 0x84));
}

constexpr qint16 alawDecode(quint8 code)
{
    const int a = code ^ 0x55;
    int t = (a & 0x0F) << 4;
    const int seg = (a & 0x70) >> 4;
    if (seg == 0)
        t += 8;
    else if (seg == 1)
        t += 0x108;
    else
        t = (t + 0x108) << (seg - 1);
    return qint16((a & 0x80) ? t : -t);
}

template <typename F>
constexpr std::array<quint8, 65536> makeEncodeTable(F encodeOne)
{
    std::array<quint8, 65536> table{};
    for (int i = 0; i < 65536; ++i)
        table[i] = encodeOne(i - 32768);
    return table;
}

template <typename F>
constexpr std::array<qint16, 256> makeDecodeTable(F decodeOne)
{
    std::array<qint16, 256> table{};
    for (int i = 0; i < 256; ++i)
        table[i] = decodeOne(quint8(i));
    return table;
}

constexpr auto kMulawEncode = makeEncodeTable([](int s) { return mulawFrom14(roundTo(s, 2)); });
constexpr auto kAlawEncode = makeEncodeTable([](int s) { return alawFrom13(roundTo(s, 3)); });
constexpr auto kMulawDecode = makeDecodeTable(mulawDecode);
constexpr auto kAlawDecode = makeDecodeTable(alawDecode);

static_assert(kMulawEncode[32768] == kMulawSilence);
static_assert(kAlawEncode[32768] == kAlawSilence);
static_assert(kMulawDecode[0x00] == -32124 && kMulawDecode[0x80] == 32124);
static_assert(kAlawDecode[0x55] == -8 && kAlawDecode[0xD5] == 8);

inline quint16 index(qint16 s) { return quint16(s) ^ 0x8000; } // s + 32768 without overflow

} // namespace

quint8 linearToMulaw(qint16 sample) { return kMulawEncode[index(sample)]; }
qint16 mulawToLinear(quint8 code) { return kMulawDecode[code]; }
quint8 linearToAlaw(qint16 sample) { return kAlawEncode[index(sample)]; }
qint16 alawToLinear(quint8 code) { return kAlawDecode[code]; }

QByteArray encodeMulaw(const qint16 *samples, qsizetype count)
{
    QByteArray out(count > 0 ? count : 0, Qt::Uninitialized);
    auto *dst = reinterpret_cast<quint8 *>(out.data());
    for (qsizetype i = 0; i < count; ++i)
        dst[i] = kMulawEncode[index(samples[i])];
    return out;
}

void decodeMulaw(const QByteArray &codes, qint16 *out)
{
    const auto *src = reinterpret_cast<const quint8 *>(codes.constData());
    for (qsizetype i = 0; i < codes.size(); ++i)
        out[i] = kMulawDecode[src[i]];
}

QByteArray encodeAlaw(const qint16 *samples, qsizetype count)
{
    QByteArray out(count > 0 ? count : 0, Qt::Uninitialized);
    auto *dst = reinterpret_cast<quint8 *>(out.data());
    for (qsizetype i = 0; i < count; ++i)
        dst[i] = kAlawEncode[index(samples[i])];
    return out;
}

void decodeAlaw(const QByteArray &codes, qint16 *out)
{
    const auto *src = reinterpret_cast<const quint8 *>(codes.constData());
    for (qsizetype i = 0; i < codes.size(); ++i)
        out[i] = kAlawDecode[src[i]];
}

} // namespace pacelab::g711

// mu-law encode throughput: the table encoder (pacelab::g711, one lookup per sample) against a
// naive per-sample computation in the same run: the textbook G.711 segment search (Sun g711.c
// style, bit-identical output) and the continuous log companding formula (not bit-exact; shown
// for scale and with its mismatch count).
#include "Benchmarks.h"

#include "audio/G711.h"
#include "audio/SignalGenerator.h"

#include <QElapsedTimer>
#include <QTextStream>

#include <cmath>

namespace {

// Textbook G.711 mu-law: round to 14 bits, clip, add bias, search the segment, take 4 mantissa bits.
quint8 naiveSegmentSearch(qint16 sample)
{
    static const int segEnd[8] = {0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF, 0x1FFF};
    int v = std::min((int(sample) + 2) >> 2, 8191);
    int mask = 0xFF;
    if (v < 0) {
        v = -v;
        mask = 0x7F;
    }
    if (v > 8159)
        v = 8159;
    v += 0x21;
    int seg = 0;
    while (seg < 8 && v > segEnd[seg])
        ++seg;
    if (seg >= 8)
        return quint8(0x7F ^ mask);
    return quint8(((seg << 4) | ((v >> (seg + 1)) & 0xF)) ^ mask);
}

// Continuous mu-law curve F(x) = sgn(x) ln(1 + mu|x|) / ln(1 + mu), quantised to 8 bits.
quint8 naiveLogFormula(qint16 sample)
{
    const double x = sample / 32768.0;
    const double y = std::log1p(255.0 * std::abs(x)) / std::log1p(255.0);
    const int q = std::min(int(y * 128.0), 127);
    return quint8(~((x < 0 ? 0x80 : 0) | q)); // G.711 stores the bits inverted
}

struct Result
{
    double samplesPerSec = 0;
    quint64 checksum = 0;
    QByteArray sample; // first block of output, for the comparison
};

template <typename Encode>
Result timeIt(const QVector<qint16> &in, qint64 total, Encode encode)
{
    Result r;
    QByteArray out(in.size(), Qt::Uninitialized);
    QElapsedTimer t;
    t.start();
    qint64 done = 0;
    while (done < total) {
        const qsizetype n = qsizetype(std::min<qint64>(in.size(), total - done));
        encode(in.constData(), n, out);
        // Fold every output into the checksum so the work cannot be optimised away.
        quint64 sum = 0;
        for (qsizetype i = 0; i < n; i += 64)
            sum = sum * 31 + quint8(out[i]);
        r.checksum ^= sum + quint64(done);
        if (done == 0)
            r.sample = out.left(n);
        done += n;
    }
    r.samplesPerSec = double(total) / (double(t.nsecsElapsed()) / 1e9);
    return r;
}

int runMulaw(const QStringList &args)
{
    QTextStream out(stdout);
    qint64 total = 50'000'000;
    for (int i = 0; i + 1 < args.size(); ++i)
        if (args[i] == QLatin1String("--samples")) {
            bool ok = false;
            total = args[i + 1].toLongLong(&ok);
            if (!ok || total <= 0 || total > 10'000'000'000LL) {
                QTextStream(stderr) << "bench mulaw: --samples needs a positive count up to 1e10\n";
                return 2;
            }
        }
    // 1 Mi samples of speech-level noise plus every PCM16 value: exercises all segments.
    QVector<qint16> in = pacelab::signal::whiteNoise(8000, 131.072, -6.0, 5);
    for (int v = -32768; v <= 32767; ++v)
        in[(v + 32768) * 16] = qint16(v);

    const Result table = timeIt(in, total, [](const qint16 *s, qsizetype n, QByteArray &o) {
        o = pacelab::g711::encodeMulaw(s, n);
    });
    const Result seg = timeIt(in, total, [](const qint16 *s, qsizetype n, QByteArray &o) {
        auto *d = reinterpret_cast<quint8 *>(o.data());
        for (qsizetype i = 0; i < n; ++i)
            d[i] = naiveSegmentSearch(s[i]);
    });
    const Result logf = timeIt(in, total, [](const qint16 *s, qsizetype n, QByteArray &o) {
        auto *d = reinterpret_cast<quint8 *>(o.data());
        for (qsizetype i = 0; i < n; ++i)
            d[i] = naiveLogFormula(s[i]);
    });

    qsizetype segDiff = 0, logDiff = 0;
    for (qsizetype i = 0; i < table.sample.size(); ++i) {
        segDiff += table.sample[i] != seg.sample[i];
        logDiff += table.sample[i] != logf.sample[i];
    }
    out << "mu-law encode, " << total << " samples per encoder (" << in.size() << "-sample buffer)\n";
    out << QStringLiteral("  table (pacelab::g711)     %1 Msamples/s\n").arg(table.samplesPerSec / 1e6, 8, 'f', 1);
    out << QStringLiteral("  naive segment search      %1 Msamples/s   table is %2x faster, %3 mismatches\n")
               .arg(seg.samplesPerSec / 1e6, 8, 'f', 1).arg(table.samplesPerSec / seg.samplesPerSec, 0, 'f', 2).arg(segDiff);
    out << QStringLiteral("  naive log formula         %1 Msamples/s   table is %2x faster, %3 mismatches (not G.711-exact)\n")
               .arg(logf.samplesPerSec / 1e6, 8, 'f', 1).arg(table.samplesPerSec / logf.samplesPerSec, 0, 'f', 2).arg(logDiff);
    out << "  (checksums " << Qt::hex << table.checksum << " " << seg.checksum << " " << logf.checksum << Qt::dec << ")\n";
    out.flush();
    return segDiff == 0 ? 0 : 1; // the segment search must agree with the table bit for bit
}

pacelab::bench::Registrar registrar("mulaw", "mu-law encode throughput: table encoder vs naive per-sample formulas", runMulaw);

} // namespace

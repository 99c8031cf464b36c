// WAV reader/writer: round trips for every encoding, extensible, odd padding, unknown chunks,
// a corpus of broken files (each with its specific error), truncation/mutation fuzzing,
// readFile/writeFile errors.
#include "audio/G711.h"
#include "audio/SignalGenerator.h"
#include "audio/WavFile.h"

#include <QDir>
#include <QFile>
#include <QTemporaryDir>
#include <QTest>
#include <QtEndian>

#include <random>

using namespace pacelab;

namespace {

QByteArray le16(quint16 v)
{
    char c[2];
    qToLittleEndian(v, c);
    return QByteArray(c, 2);
}

QByteArray le32(quint32 v)
{
    char c[4];
    qToLittleEndian(v, c);
    return QByteArray(c, 4);
}

struct Chunk
{
    QByteArray id;
    QByteArray body;
    qint64 sizeOverride = -1; // lie about the size
};

QByteArray riff(const QList<Chunk> &chunks, const QByteArray &form = "WAVE", qint64 riffSizeOverride = -1)
{
    QByteArray body = form;
    for (const Chunk &c : chunks) {
        body += c.id;
        body += le32(c.sizeOverride >= 0 ? quint32(c.sizeOverride) : quint32(c.body.size()));
        body += c.body;
        if (c.body.size() & 1)
            body += '\0';
    }
    return "RIFF" + le32(riffSizeOverride >= 0 ? quint32(riffSizeOverride) : quint32(body.size())) + body;
}

QByteArray fmtBody(quint16 tag, quint16 ch, quint32 rate, quint16 bits, int blockAlign = -1)
{
    const quint16 ba = blockAlign >= 0 ? quint16(blockAlign) : quint16(ch * bits / 8);
    return le16(tag) + le16(ch) + le32(rate) + le32(rate * ba) + le16(ba) + le16(bits);
}

QByteArray extensibleBody(quint16 subTag, quint16 ch, quint32 rate, quint16 bits, bool goodGuid = true)
{
    QByteArray b = fmtBody(0xFFFE, ch, rate, bits);
    b += le16(22) + le16(bits) + le32(ch == 2 ? 3 : 4); // cbSize, valid bits, channel mask
    b += le16(subTag);
    const unsigned char tail[14] = {0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xAA, 0x00, 0x38, 0x9B, 0x71};
    QByteArray t(reinterpret_cast<const char *>(tail), 14);
    if (!goodGuid)
        t[13] = 0x72;
    return b + t;
}

QByteArray pcm16Data(const QVector<qint16> &s)
{
    QByteArray d;
    for (qint16 v : s)
        d += le16(quint16(v));
    return d;
}

QVector<qint16> ramp(int n)
{
    QVector<qint16> v;
    for (int i = 0; i < n; ++i)
        v.append(qint16((i * 7919) % 65536 - 32768));
    return v;
}

} // namespace

class TestWavFile final : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void roundTrip_data();
    void roundTrip();
    void fileRoundTripAndMulawFile();
    void extensible_data();
    void extensible();
    void oddPaddingAndUnknownChunks();
    void lenientRiffSize();
    void brokenCorpus_data();
    void brokenCorpus();
    void everyTruncationAndMutationIsSafe();
    void readFileErrors();
    void writeErrors();
};

void TestWavFile::roundTrip_data()
{
    QTest::addColumn<int>("encoding");
    QTest::addColumn<int>("channels");
    QTest::addColumn<int>("rate");
    const QList<wav::Encoding> encs{wav::Encoding::Pcm16, wav::Encoding::Pcm8, wav::Encoding::Float32,
                                    wav::Encoding::Mulaw, wav::Encoding::Alaw};
    for (auto e : encs)
        for (int ch : {1, 2})
            for (int rate : {8000, 44100, 11025, 7})
                QTest::newRow(qPrintable(QStringLiteral("%1 %2ch %3Hz").arg(wav::encodingName(e)).arg(ch).arg(rate)))
                    << int(e) << ch << rate;
}

void TestWavFile::roundTrip()
{
    QFETCH(int, encoding);
    QFETCH(int, channels);
    QFETCH(int, rate);
    const auto enc = wav::Encoding(encoding);
    PcmBuffer pcm;
    pcm.sampleRate = rate;
    pcm.channels = channels;
    pcm.samples = ramp(channels * 1001); // odd frame count: 8-bit mono needs a pad byte
    pcm.samples[0] = -32768;
    pcm.samples[1] = 32767;
    pcm.samples[2] = 0;
    const QByteArray bytes = wav::toBytes(pcm, enc);
    QVERIFY(!bytes.isEmpty());
    QCOMPARE(bytes.size() % 2, 0); // chunks word aligned
    const wav::ReadResult r = wav::readBytes(bytes);
    QVERIFY2(r.ok, qPrintable(r.error));
    QCOMPARE(int(r.info.encoding), encoding);
    QCOMPARE(r.info.channels, channels);
    QCOMPARE(r.info.sampleRate, rate);
    QCOMPARE(r.pcm.channels, channels);
    QCOMPARE(r.pcm.sampleRate, rate);
    QCOMPARE(r.pcm.samples.size(), pcm.samples.size());
    for (qsizetype i = 0; i < pcm.samples.size(); ++i) {
        const qint16 in = pcm.samples[i], out = r.pcm.samples[i];
        switch (enc) {
        case wav::Encoding::Pcm16:
        case wav::Encoding::Float32:
            QCOMPARE(out, in);
            break;
        case wav::Encoding::Pcm8:
            QVERIFY2(std::abs(out - in) <= 128 || (in > 32640 && out == 32512), qPrintable(QStringLiteral("%1 -> %2").arg(in).arg(out)));
            break;
        case wav::Encoding::Mulaw:
            QCOMPARE(out, g711::mulawToLinear(g711::linearToMulaw(in)));
            break;
        case wav::Encoding::Alaw:
            QCOMPARE(out, g711::alawToLinear(g711::linearToAlaw(in)));
            break;
        }
    }
}

void TestWavFile::fileRoundTripAndMulawFile()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    PcmBuffer pcm;
    pcm.sampleRate = 22050;
    pcm.channels = 2;
    pcm.samples = ramp(2 * 5000);
    const QString path = dir.filePath(QStringLiteral("a.wav"));
    QString err;
    QVERIFY2(wav::writeFile(path, pcm, wav::Encoding::Pcm16, &err), qPrintable(err));
    const wav::ReadResult r = wav::readFile(path);
    QVERIFY2(r.ok, qPrintable(r.error));
    QCOMPARE(r.pcm.samples, pcm.samples);

    // Raw mu-law bytes are stored as they are (no decode/re-encode).
    QByteArray mulaw;
    for (int i = 0; i < 777; ++i)
        mulaw.append(char(i % 256));
    const QString mpath = dir.filePath(QStringLiteral("m.wav"));
    QVERIFY2(wav::writeMulawFile(mpath, mulaw, 8000, &err), qPrintable(err));
    QFile f(mpath);
    QVERIFY(f.open(QIODevice::ReadOnly));
    const QByteArray bytes = f.readAll();
    QVERIFY(bytes.contains("data" + le32(777) + mulaw));
    const wav::ReadResult m = wav::readBytes(bytes);
    QVERIFY2(m.ok, qPrintable(m.error));
    QCOMPARE(m.info.encoding, wav::Encoding::Mulaw);
    QCOMPARE(m.info.formatTag, quint16(7));
    QCOMPARE(m.pcm.sampleRate, 8000);
    QCOMPARE(m.pcm.samples.size(), 777);
    for (int i = 0; i < 777; ++i)
        QCOMPARE(m.pcm.samples[i], g711::mulawToLinear(quint8(mulaw[i])));
}

void TestWavFile::extensible_data()
{
    QTest::addColumn<int>("subTag");
    QTest::addColumn<int>("bits");
    QTest::addColumn<int>("encoding");
    QTest::newRow("PCM16") << 1 << 16 << int(wav::Encoding::Pcm16);
    QTest::newRow("PCM8") << 1 << 8 << int(wav::Encoding::Pcm8);
    QTest::newRow("float32") << 3 << 32 << int(wav::Encoding::Float32);
    QTest::newRow("mu-law") << 7 << 8 << int(wav::Encoding::Mulaw);
    QTest::newRow("A-law") << 6 << 8 << int(wav::Encoding::Alaw);
}

void TestWavFile::extensible()
{
    QFETCH(int, subTag);
    QFETCH(int, bits);
    QFETCH(int, encoding);
    // Take the data chunk of a canonical file of the same encoding and re-wrap it.
    PcmBuffer pcm;
    pcm.sampleRate = 48000;
    pcm.channels = 2;
    pcm.samples = ramp(2 * 300);
    const wav::ReadResult canon = wav::readBytes(wav::toBytes(pcm, wav::Encoding(encoding)));
    QVERIFY(canon.ok);
    const QByteArray bytes = wav::toBytes(pcm, wav::Encoding(encoding));
    const qsizetype at = bytes.indexOf("data");
    const QByteArray data = bytes.mid(at + 8, qFromLittleEndian<quint32>(bytes.constData() + at + 4));
    const wav::ReadResult r = wav::readBytes(riff({{"fmt ", extensibleBody(quint16(subTag), 2, 48000, quint16(bits))}, {"data", data}}));
    QVERIFY2(r.ok, qPrintable(r.error));
    QCOMPARE(r.info.formatTag, quint16(0xFFFE));
    QCOMPARE(int(r.info.encoding), encoding);
    QCOMPARE(r.pcm.samples, canon.pcm.samples);
}

void TestWavFile::oddPaddingAndUnknownChunks()
{
    // 8-bit mono, 5 samples (odd data size, padded), odd-sized LIST before fmt, JUNK and fact
    // between, an unknown chunk after data.
    QByteArray data;
    for (int v : {0, 64, 128, 192, 255})
        data.append(char(v));
    const QByteArray bytes = riff({{"LIST", "INFOabc"},
                                   {"fmt ", fmtBody(1, 1, 11025, 8)},
                                   {"JUNK", QByteArray(3, 'j')},
                                   {"fact", le32(5)},
                                   {"data", data},
                                   {"zzzz", "x"}});
    const wav::ReadResult r = wav::readBytes(bytes);
    QVERIFY2(r.ok, qPrintable(r.error));
    QCOMPARE(r.info.encoding, wav::Encoding::Pcm8);
    QCOMPARE(r.pcm.sampleRate, 11025);
    QCOMPARE(r.pcm.samples, (QVector<qint16>{-32768, -16384, 0, 16384, 32512}));
    // The final pad byte may be missing at end of file.
    const wav::ReadResult r2 = wav::readBytes(riff({{"fmt ", fmtBody(1, 1, 8000, 8)}, {"data", data}}).chopped(1));
    QVERIFY2(r2.ok, qPrintable(r2.error));
    QCOMPARE(r2.pcm.samples.size(), 5);
}

void TestWavFile::lenientRiffSize()
{
    // Streamed recordings often leave the RIFF size at 0 or 0xFFFFFFFF: the chunks still count.
    const QByteArray data = pcm16Data({1, 2, 3, 4});
    for (qint64 lie : {qint64(0), qint64(0xFFFFFFFF), qint64(1000000)}) {
        const wav::ReadResult r = wav::readBytes(riff({{"fmt ", fmtBody(1, 1, 8000, 16)}, {"data", data}}, "WAVE", lie));
        QVERIFY2(r.ok, qPrintable(r.error));
        QCOMPARE(r.pcm.samples, (QVector<qint16>{1, 2, 3, 4}));
    }
    // Trailing partial sample frame is dropped, not read past.
    const wav::ReadResult odd = wav::readBytes(riff({{"fmt ", fmtBody(1, 2, 8000, 16)}, {"data", pcm16Data({1, 2, 3})}}));
    QVERIFY2(odd.ok, qPrintable(odd.error));
    QCOMPARE(odd.pcm.samples, (QVector<qint16>{1, 2}));
}

void TestWavFile::brokenCorpus_data()
{
    QTest::addColumn<QByteArray>("bytes");
    QTest::addColumn<QString>("expect");
    const QByteArray fmt16 = fmtBody(1, 1, 8000, 16);
    const QByteArray data = pcm16Data({1, 2, 3, 4});
    const QByteArray good = riff({{"fmt ", fmt16}, {"data", data}});

    QTest::newRow("empty") << QByteArray() << "truncated header";
    QTest::newRow("11 bytes") << good.left(11) << "truncated header";
    QTest::newRow("not RIFF (Ogg)") << QByteArray("OggS").append(QByteArray(40, '\0')) << "not a RIFF file (starts with 'OggS')";
    QTest::newRow("RIFX big-endian") << "RIFX" + good.mid(4) << "unsupported container 'RIFX'";
    QTest::newRow("RIFF but AVI") << riff({{"fmt ", fmt16}}, "AVI ") << "not a WAVE file (RIFF form type is 'AVI ')";
    QTest::newRow("header cut inside fmt") << good.left(30) << "chunk 'fmt ' at offset 12 size 16 runs past end of file";
    QTest::newRow("data size 4 GB in tiny file") << riff({{"fmt ", fmt16}, {"data", data, 0xFFFFFFF0}}) << "chunk 'data' at offset 36 size 4294967280 runs past end of file";
    QTest::newRow("data truncated") << good.chopped(2) << "chunk 'data' at offset 36 size 8 runs past end of file";
    QTest::newRow("fmt size past end") << riff({{"fmt ", fmt16, 100000}}) << "chunk 'fmt ' at offset 12 size 100000 runs past end";
    QTest::newRow("unknown chunk past end") << riff({{"LIST", "abcd", 999}, {"fmt ", fmt16}, {"data", data}}) << "chunk 'LIST' at offset 12 size 999";
    QTest::newRow("zero channels") << riff({{"fmt ", fmtBody(1, 0, 8000, 16)}, {"data", data}}) << "zero channels";
    QTest::newRow("zero rate") << riff({{"fmt ", fmtBody(1, 1, 0, 16)}, {"data", data}}) << "zero sample rate";
    QTest::newRow("absurd channels") << riff({{"fmt ", fmtBody(1, 65535, 8000, 16, 2)}, {"data", data}}) << "absurd channel count 65535";
    QTest::newRow("absurd rate") << riff({{"fmt ", fmtBody(1, 1, 0xFFFFFFFF, 16)}, {"data", data}}) << "absurd sample rate 4294967295";
    QTest::newRow("ADPCM") << riff({{"fmt ", fmtBody(2, 1, 8000, 4, 256)}, {"data", data}}) << "unsupported format code 0x0002 (Microsoft ADPCM)";
    QTest::newRow("MP3") << riff({{"fmt ", fmtBody(0x55, 1, 8000, 0, 1)}, {"data", data}}) << "unsupported format code 0x0055 (MP3)";
    QTest::newRow("extensible ADPCM") << riff({{"fmt ", extensibleBody(2, 1, 8000, 16)}, {"data", data}}) << "unsupported format code 0x0002 (Microsoft ADPCM) in extensible";
    QTest::newRow("PCM 24-bit") << riff({{"fmt ", fmtBody(1, 1, 8000, 24)}, {"data", data}}) << "unsupported PCM bit depth 24";
    QTest::newRow("float 16-bit") << riff({{"fmt ", fmtBody(3, 1, 8000, 16)}, {"data", data}}) << "bits per sample mismatch: float format needs 32, header says 16";
    QTest::newRow("mu-law 16-bit") << riff({{"fmt ", fmtBody(7, 1, 8000, 16)}, {"data", data}}) << "bits per sample mismatch: mu-law needs 8";
    QTest::newRow("A-law 4-bit") << riff({{"fmt ", fmtBody(6, 1, 8000, 4, 1)}, {"data", data}}) << "bits per sample mismatch: A-law needs 8";
    QTest::newRow("block align") << riff({{"fmt ", fmtBody(1, 2, 8000, 16, 2)}, {"data", data}}) << "block align mismatch: header says 2, 2 channel(s) x 16 bits needs 4";
    QTest::newRow("block align zero") << riff({{"fmt ", fmtBody(1, 1, 8000, 16, 0)}, {"data", data}}) << "block align mismatch: header says 0";
    QTest::newRow("data missing") << riff({{"fmt ", fmt16}, {"LIST", "abcd"}}) << "data chunk missing";
    QTest::newRow("fmt missing") << riff({{"data", data}}) << "fmt chunk missing";
    QTest::newRow("no chunks at all") << riff({}) << "fmt chunk missing";
    QTest::newRow("fmt too short") << riff({{"fmt ", fmt16.left(10)}, {"data", data}}) << "fmt chunk too short: 10 bytes";
    QTest::newRow("duplicate fmt") << riff({{"fmt ", fmt16}, {"fmt ", fmt16}, {"data", data}}) << "duplicate fmt chunk";
    QTest::newRow("duplicate data") << riff({{"fmt ", fmt16}, {"data", data}, {"data", data}}) << "duplicate data chunk";
    QTest::newRow("extensible bad GUID") << riff({{"fmt ", extensibleBody(1, 1, 8000, 16, false)}, {"data", data}}) << "unsupported extensible sub-format GUID";
    QTest::newRow("extensible too short") << riff({{"fmt ", extensibleBody(1, 1, 8000, 16).left(30)}, {"data", data}}) << "extensible fmt chunk too short: 30 bytes";
}

void TestWavFile::brokenCorpus()
{
    QFETCH(QByteArray, bytes);
    QFETCH(QString, expect);
    const wav::ReadResult r = wav::readBytes(bytes);
    QVERIFY(!r.ok);
    QVERIFY2(r.error.contains(expect), qPrintable(QStringLiteral("got \"%1\", expected \"%2\"").arg(r.error, expect)));
    QVERIFY(r.pcm.samples.isEmpty());
}

void TestWavFile::everyTruncationAndMutationIsSafe()
{
    PcmBuffer pcm;
    pcm.channels = 2;
    pcm.sampleRate = 16000;
    pcm.samples = ramp(2 * 200);
    const QList<wav::Encoding> encs{wav::Encoding::Pcm16, wav::Encoding::Pcm8, wav::Encoding::Float32,
                                    wav::Encoding::Mulaw, wav::Encoding::Alaw};
    std::mt19937 gen(99);
    for (auto e : encs) {
        const QByteArray good = wav::toBytes(pcm, e);
        // Every prefix: either an error (with text) or a valid read within the real bytes.
        for (qsizetype n = 0; n < good.size(); ++n) {
            const wav::ReadResult r = wav::readBytes(good.left(n));
            if (r.ok)
                QVERIFY(r.pcm.samples.size() <= n);
            else
                QVERIFY(!r.error.isEmpty());
        }
        // Random header corruption (first 64 bytes): never a crash, never more samples than bytes.
        for (int i = 0; i < 3000; ++i) {
            QByteArray bad = good;
            const int flips = 1 + int(gen() % 4);
            for (int k = 0; k < flips; ++k)
                bad[gen() % 64] = char(gen());
            const wav::ReadResult r = wav::readBytes(bad);
            if (r.ok)
                QVERIFY(r.pcm.samples.size() <= bad.size());
            else
                QVERIFY(!r.error.isEmpty());
        }
    }
}

void TestWavFile::readFileErrors()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    wav::ReadResult r = wav::readFile(dir.filePath(QStringLiteral("missing.wav")));
    QVERIFY(!r.ok);
    QVERIFY2(r.error.contains(QStringLiteral("file not found")), qPrintable(r.error));
    r = wav::readFile(dir.path());
    QVERIFY(!r.ok);
    QVERIFY2(r.error.contains(QStringLiteral("directory")), qPrintable(r.error));
    r = wav::readFile(QString());
    QVERIFY(!r.ok);
    QVERIFY(r.error.contains(QStringLiteral("no file name")));

    // Above the size limit: a sparse file, so the test costs no disk.
    const QString big = dir.filePath(QStringLiteral("big.wav"));
    {
        QFile f(big);
        QVERIFY(f.open(QIODevice::WriteOnly));
        QVERIFY(f.resize(wav::kMaxFileBytes + 1));
    }
    r = wav::readFile(big);
    QVERIFY(!r.ok);
    QVERIFY2(r.error.contains(QStringLiteral("2 GiB limit")), qPrintable(r.error));
    QFile::remove(big);

    // A broken file: the error names the file and the problem.
    const QString junk = dir.filePath(QStringLiteral("junk.wav"));
    {
        QFile f(junk);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write("hello, this is not audio at all");
    }
    r = wav::readFile(junk);
    QVERIFY(!r.ok);
    QVERIFY2(r.error.contains(junk) && r.error.contains(QStringLiteral("not a RIFF file")), qPrintable(r.error));
}

void TestWavFile::writeErrors()
{
    QTemporaryDir dir;
    PcmBuffer pcm;
    pcm.samples = ramp(100);
    QString err;
    QVERIFY(!wav::writeFile(dir.filePath(QStringLiteral("no/such/dir/x.wav")), pcm, wav::Encoding::Pcm16, &err));
    QVERIFY2(err.contains(QStringLiteral("no/such/dir/x.wav")), qPrintable(err));
    PcmBuffer bad = pcm;
    bad.channels = 0;
    QVERIFY(wav::toBytes(bad).isEmpty());
    QVERIFY(!wav::writeFile(dir.filePath(QStringLiteral("x.wav")), bad, wav::Encoding::Pcm16, &err));
    QVERIFY2(err.contains(QStringLiteral("channel count 0")), qPrintable(err));
    bad = pcm;
    bad.channels = 3; // 100 samples is not whole 3-channel frames
    QVERIFY(!wav::writeFile(dir.filePath(QStringLiteral("x.wav")), bad, wav::Encoding::Pcm16, &err));
    QVERIFY2(err.contains(QStringLiteral("whole number")), qPrintable(err));
    bad = pcm;
    bad.sampleRate = 0;
    QVERIFY(!wav::writeFile(dir.filePath(QStringLiteral("x.wav")), bad, wav::Encoding::Mulaw, &err));
    QVERIFY2(err.contains(QStringLiteral("sample rate 0")), qPrintable(err));
    QVERIFY(!wav::writeMulawFile(dir.filePath(QStringLiteral("m.wav")), QByteArray(10, 'x'), -1, &err));
    QVERIFY2(err.contains(QStringLiteral("sample rate -1")), qPrintable(err));
    QVERIFY(!QFile::exists(dir.filePath(QStringLiteral("x.wav"))));
}

QTEST_APPLESS_MAIN(TestWavFile)
#include "tst_wavfile.moc"

// G.711 against sox as an independent reference: every PCM16 input and every code, both laws.
#include "audio/G711.h"

#include <QProcess>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

using namespace pacelab;

namespace {

QByteArray allPcm16Le()
{
    QByteArray raw;
    raw.reserve(65536 * 2);
    for (int v = -32768; v <= 32767; ++v) {
        const quint16 u = quint16(qint16(v));
        raw.append(char(u & 0xFF));
        raw.append(char(u >> 8));
    }
    return raw;
}

// Runs sox on `input` with the given input/output type arguments; fails the test if sox is
// missing or fails (CI installs sox: a missing reference must not look like a pass).
// Returns an empty string on success, else why it failed.
QString runSox(const QByteArray &input, const QStringList &inArgs, const QStringList &outArgs, QByteArray *output)
{
    const QString sox = QStandardPaths::findExecutable(QStringLiteral("sox"));
    if (sox.isEmpty())
        return QStringLiteral("sox not found in PATH: it is the independent G.711 reference for this test. "
                              "Install it (apt-get install sox; scripts/deps.sh lists it).");
    QTemporaryDir dir;
    if (!dir.isValid())
        return QStringLiteral("cannot create a temporary directory");
    const QString in = dir.filePath(QStringLiteral("in.raw"));
    const QString out = dir.filePath(QStringLiteral("out.raw"));
    QFile f(in);
    if (!f.open(QIODevice::WriteOnly) || f.write(input) != input.size())
        return QStringLiteral("cannot write %1: %2").arg(in, f.errorString());
    f.close();
    QStringList args{QStringLiteral("-D")}; // no dither: the reference must be deterministic
    args << inArgs << in << outArgs << out;
    QProcess p;
    p.start(sox, args);
    if (!p.waitForFinished(30000) || p.exitStatus() != QProcess::NormalExit || p.exitCode() != 0)
        return QStringLiteral("sox %1 failed: %2 %3").arg(args.join(QLatin1Char(' ')), p.errorString(),
                                                          QString::fromLocal8Bit(p.readAllStandardError()));
    QFile r(out);
    if (!r.open(QIODevice::ReadOnly))
        return QStringLiteral("sox wrote no output file %1").arg(out);
    *output = r.readAll();
    return {};
}

const QStringList kPcmArgs{"-t", "raw", "-r", "8000", "-e", "signed", "-b", "16", "-c", "1"};

QStringList lawArgs(const char *law)
{
    return {"-t", "raw", "-r", "8000", "-e", law, "-b", "8", "-c", "1"};
}

} // namespace

class TestG711 final : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void encodeAllInputsMatchSox_data();
    void encodeAllInputsMatchSox();
    void decodeAllCodesMatchSox_data();
    void decodeAllCodesMatchSox();
    void bulkMatchesScalar();
    void silenceAndKnownValues();
    void encodeIsMonotonicAndIdempotent();
};

void TestG711::encodeAllInputsMatchSox_data()
{
    QTest::addColumn<bool>("mu");
    QTest::newRow("mu-law") << true;
    QTest::newRow("A-law") << false;
}

void TestG711::encodeAllInputsMatchSox()
{
    QFETCH(bool, mu);
    QByteArray ref;
    const QString why = runSox(allPcm16Le(), kPcmArgs, lawArgs(mu ? "mu-law" : "a-law"), &ref);
    QVERIFY2(why.isEmpty(), qPrintable(why));
    QCOMPARE(ref.size(), 65536);
    int mismatches = 0;
    QString first;
    for (int v = -32768; v <= 32767; ++v) {
        const quint8 ours = mu ? g711::linearToMulaw(qint16(v)) : g711::linearToAlaw(qint16(v));
        const quint8 theirs = quint8(ref[v + 32768]);
        if (ours != theirs && mismatches++ == 0)
            first = QStringLiteral("input %1: ours 0x%2, sox 0x%3").arg(v).arg(ours, 2, 16, QLatin1Char('0')).arg(theirs, 2, 16, QLatin1Char('0'));
    }
    QVERIFY2(mismatches == 0, qPrintable(QStringLiteral("%1 mismatches, first %2").arg(mismatches).arg(first)));
}

void TestG711::decodeAllCodesMatchSox_data()
{
    encodeAllInputsMatchSox_data();
}

void TestG711::decodeAllCodesMatchSox()
{
    QFETCH(bool, mu);
    QByteArray codes;
    for (int c = 0; c < 256; ++c)
        codes.append(char(c));
    QByteArray ref;
    const QString why = runSox(codes, lawArgs(mu ? "mu-law" : "a-law"), kPcmArgs, &ref);
    QVERIFY2(why.isEmpty(), qPrintable(why));
    QCOMPARE(ref.size(), 512);
    for (int c = 0; c < 256; ++c) {
        const qint16 theirs = qint16(quint16(quint8(ref[2 * c])) | (quint16(quint8(ref[2 * c + 1])) << 8));
        const qint16 ours = mu ? g711::mulawToLinear(quint8(c)) : g711::alawToLinear(quint8(c));
        if (ours != theirs)
            QFAIL(qPrintable(QStringLiteral("code 0x%1: ours %2, sox %3").arg(c, 2, 16, QLatin1Char('0')).arg(ours).arg(theirs)));
    }
}

void TestG711::bulkMatchesScalar()
{
    QVector<qint16> all;
    for (int v = -32768; v <= 32767; ++v)
        all.append(qint16(v));
    const QByteArray mu = g711::encodeMulaw(all.constData(), all.size());
    const QByteArray a = g711::encodeAlaw(all.constData(), all.size());
    QCOMPARE(mu.size(), all.size());
    QCOMPARE(a.size(), all.size());
    QVector<qint16> muBack(mu.size()), aBack(a.size());
    g711::decodeMulaw(mu, muBack.data());
    g711::decodeAlaw(a, aBack.data());
    for (int i = 0; i < all.size(); ++i) {
        QCOMPARE(quint8(mu[i]), g711::linearToMulaw(all[i]));
        QCOMPARE(quint8(a[i]), g711::linearToAlaw(all[i]));
        QCOMPARE(muBack[i], g711::mulawToLinear(quint8(mu[i])));
        QCOMPARE(aBack[i], g711::alawToLinear(quint8(a[i])));
    }
    QCOMPARE(g711::encodeMulaw(nullptr, 0).size(), 0);
}

void TestG711::silenceAndKnownValues()
{
    QCOMPARE(g711::linearToMulaw(0), g711::kMulawSilence);
    QCOMPARE(g711::linearToAlaw(0), g711::kAlawSilence);
    QCOMPARE(g711::mulawToLinear(g711::kMulawSilence), qint16(0));
    QCOMPARE(g711::mulawToLinear(0x80), qint16(32124)); // G.711 mu-law extremes
    QCOMPARE(g711::mulawToLinear(0x00), qint16(-32124));
    QCOMPARE(g711::alawToLinear(0xAA), qint16(32256)); // G.711 A-law extremes
    QCOMPARE(g711::alawToLinear(0x2A), qint16(-32256));
    QCOMPARE(g711::linearToMulaw(32767), quint8(0x80));
    QCOMPARE(g711::linearToMulaw(-32768), quint8(0x00));
    QCOMPARE(g711::linearToAlaw(32767), quint8(0xAA));
    QCOMPARE(g711::linearToAlaw(-32768), quint8(0x2A));
}

void TestG711::encodeIsMonotonicAndIdempotent()
{
    int prevMu = -40000, prevA = -40000;
    for (int v = -32768; v <= 32767; ++v) {
        const int mu = g711::mulawToLinear(g711::linearToMulaw(qint16(v)));
        const int a = g711::alawToLinear(g711::linearToAlaw(qint16(v)));
        QVERIFY(mu >= prevMu);
        QVERIFY(a >= prevA);
        prevMu = mu;
        prevA = a;
    }
    // Every reconstruction level re-encodes to a code with the same level.
    for (int c = 0; c < 256; ++c) {
        const qint16 mu = g711::mulawToLinear(quint8(c));
        QCOMPARE(g711::mulawToLinear(g711::linearToMulaw(mu)), mu);
        const qint16 a = g711::alawToLinear(quint8(c));
        QCOMPARE(g711::alawToLinear(g711::linearToAlaw(a)), a);
    }
}

QTEST_APPLESS_MAIN(TestG711)
#include "tst_g711.moc"

// espeak-ng text-to-speech: real synthesis, streaming, errors.
#include "tts/EspeakTts.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFileInfo>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

#include <algorithm>
#include <cmath>
#include <thread>

using namespace pacelab::tts;

namespace {

const QString kSentence = QStringLiteral("The quick brown fox jumps over the lazy dog, and the call goes on.");

const QString kParagraph = QStringLiteral(
    "Thank you for calling. Your appointment is confirmed for Tuesday at three in the afternoon. "
    "If you need to change it, please say change, or press one. To hear the details again, say repeat. "
    "Our office opens at nine in the morning and closes at five in the evening, Monday to Friday. ");

double rms(const std::vector<qint16> &pcm)
{
    double sum = 0;
    for (qint16 s : pcm)
        sum += double(s) * s;
    return pcm.empty() ? 0 : std::sqrt(sum / double(pcm.size()));
}

// espeak carries a little state from one utterance to the next (the same text comes out a few
// ms longer or shorter on successive calls), so lengths are compared with a 1% tolerance.
bool sameLength(size_t a, size_t b)
{
    const double diff = std::abs(double(a) - double(b));
    return diff <= 0.01 * double(std::max(a, b));
}

} // namespace

class TestTts final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void sentence();
    void streamingGivesSameAudio();
    void sinkCanAbort();
    void rateChangesDuration();
    void emptyText();
    void voices();
    void badVoiceName();
    void twoThreadsTakeTurns();
    void longTextStreamsInChunks();
    void missingDataGivesClearError();

private:
    EspeakTts m_tts;
};

void TestTts::initTestCase()
{
    if (qEnvironmentVariableIsSet("PACELAB_TTS_CHILD"))
        return; // child of missingDataGivesClearError: must not initialise with the real data
    QString error;
    QVERIFY2(m_tts.initialize(&error), qPrintable(error));
    QVERIFY(m_tts.isInitialized());
    QCOMPARE(m_tts.sampleRate(), 22050);
}

void TestTts::sentence()
{
    std::vector<qint16> pcm;
    QString error;
    QVERIFY2(m_tts.synthesize(kSentence, &pcm, &error), qPrintable(error));
    const double seconds = double(pcm.size()) / m_tts.sampleRate();
    qInfo("sentence: %.2f s of audio, RMS %.0f", seconds, rms(pcm));
    QVERIFY2(seconds > 1.0 && seconds < 8.0, qPrintable(QString::number(seconds)));
    QVERIFY(rms(pcm) > 300); // speech, not silence
    QVERIFY(*std::max_element(pcm.begin(), pcm.end()) > 3000);
}

void TestTts::streamingGivesSameAudio()
{
    std::vector<qint16> whole, streamed;
    QString error;
    QVERIFY2(m_tts.synthesize(kSentence, &whole, &error), qPrintable(error));
    int chunks = 0;
    QVERIFY2(m_tts.synthesizeStreaming(
                 kSentence,
                 [&](const qint16 *s, int n) {
                     ++chunks;
                     streamed.insert(streamed.end(), s, s + n);
                     return true;
                 },
                 &error),
             qPrintable(error));
    qInfo("whole: %zu samples, streamed: %zu samples in %d chunks", whole.size(), streamed.size(), chunks);
    QVERIFY2(sameLength(streamed.size(), whole.size()),
             qPrintable(QStringLiteral("%1 vs %2").arg(streamed.size()).arg(whole.size())));
    QVERIFY(std::abs(rms(streamed) - rms(whole)) < 0.05 * rms(whole));
    QVERIFY2(chunks > 5, qPrintable(QString::number(chunks))); // really chunked, not one block
}

void TestTts::sinkCanAbort()
{
    qsizetype received = 0;
    int calls = 0;
    QString error;
    const bool ok = m_tts.synthesizeStreaming(
        kParagraph,
        [&](const qint16 *, int n) {
            received += n;
            return ++calls < 3;
        },
        &error);
    QVERIFY(!ok);
    QVERIFY2(error.contains(QStringLiteral("aborted")), qPrintable(error));
    QCOMPARE(calls, 3);
    QVERIFY(received < m_tts.sampleRate()); // stopped long before the paragraph's ~15 s

    // The engine is fine afterwards.
    std::vector<qint16> pcm;
    QVERIFY2(m_tts.synthesize(kSentence, &pcm, &error), qPrintable(error));
    QVERIFY(pcm.size() > size_t(m_tts.sampleRate()));
}

void TestTts::rateChangesDuration()
{
    EspeakTts slow, fast;
    slow.setRate(100);
    fast.setRate(300);
    QCOMPARE(slow.rate(), 100);
    std::vector<qint16> a, b;
    QString error;
    QVERIFY2(slow.synthesize(kSentence, &a, &error), qPrintable(error));
    QVERIFY2(fast.synthesize(kSentence, &b, &error), qPrintable(error));
    qInfo("100 wpm: %zu samples, 300 wpm: %zu samples", a.size(), b.size());
    QVERIFY(a.size() > b.size() * 3 / 2);

    EspeakTts clamp;
    clamp.setRate(5);
    QCOMPARE(clamp.rate(), 80);
    clamp.setRate(100000);
    QCOMPARE(clamp.rate(), 450);
}

void TestTts::emptyText()
{
    std::vector<qint16> pcm{1, 2, 3};
    QString error;
    QVERIFY2(m_tts.synthesize(QString(), &pcm, &error), qPrintable(error));
    QVERIFY(pcm.empty());
    QVERIFY(m_tts.synthesize(QStringLiteral("   \n"), &pcm, &error));
    QVERIFY(pcm.empty());
}

void TestTts::voices()
{
    const QStringList list = m_tts.voices();
    qInfo("%lld voices, e.g. %s", qlonglong(list.size()), qPrintable(list.mid(0, 5).join(", ")));
    QVERIFY(list.size() > 20);
    QVERIFY(list.contains(QStringLiteral("en-us")));
    QVERIFY(list.contains(QStringLiteral("de")));

    EspeakTts german;
    QString error;
    QVERIFY2(german.setVoice(QStringLiteral("de"), &error), qPrintable(error));
    QCOMPARE(german.voice(), QStringLiteral("de"));
    std::vector<qint16> pcm;
    QVERIFY2(german.synthesize(QStringLiteral("Guten Tag, wie geht es Ihnen?"), &pcm, &error), qPrintable(error));
    QVERIFY(rms(pcm) > 300);
}

void TestTts::badVoiceName()
{
    EspeakTts tts;
    QString error;
    QVERIFY(!tts.setVoice(QStringLiteral("no-such-voice-xyz"), &error));
    QVERIFY2(error.contains(QStringLiteral("unknown espeak-ng voice 'no-such-voice-xyz'")), qPrintable(error));
    QCOMPARE(tts.voice(), QStringLiteral("en-us")); // unchanged
    QVERIFY(!tts.setVoice(QStringLiteral("  "), &error));
    QVERIFY2(error.contains(QStringLiteral("empty voice name")), qPrintable(error));

    // Still usable with its previous voice.
    std::vector<qint16> pcm;
    QVERIFY2(tts.synthesize(kSentence, &pcm, &error), qPrintable(error));
    QVERIFY(!pcm.empty());
}

void TestTts::twoThreadsTakeTurns()
{
    // The global mutex makes concurrent use safe; each instance keeps its own settings.
    std::vector<qint16> reference;
    QString error;
    QVERIFY(m_tts.synthesize(kSentence, &reference, &error));

    std::vector<qint16> results[2];
    bool ok[2] = {};
    std::thread threads[2];
    for (int t = 0; t < 2; ++t) {
        threads[t] = std::thread([&, t] {
            EspeakTts tts;
            QString e;
            ok[t] = true;
            for (int i = 0; i < 3 && ok[t]; ++i)
                ok[t] = tts.synthesize(kSentence, &results[t], &e);
        });
    }
    for (auto &t : threads)
        t.join();
    QVERIFY(ok[0] && ok[1]);
    for (const auto &r : results) {
        QVERIFY2(sameLength(r.size(), reference.size()),
                 qPrintable(QStringLiteral("%1 vs %2").arg(r.size()).arg(reference.size())));
        QVERIFY(std::abs(rms(r) - rms(reference)) < 0.05 * rms(reference));
    }
}

void TestTts::longTextStreamsInChunks()
{
    // Over a minute of speech comes through the streaming callback. How much faster than real
    // time that is depends on the machine and its load: printed, not asserted.
    QString text;
    for (int i = 0; i < 6; ++i)
        text += kParagraph;
    qsizetype samples = 0;
    QElapsedTimer timer;
    timer.start();
    QString error;
    QVERIFY2(m_tts.synthesizeStreaming(
                 text,
                 [&](const qint16 *, int n) {
                     samples += n;
                     return true;
                 },
                 &error),
             qPrintable(error));
    const double wall = timer.nsecsElapsed() / 1e9;
    const double audio = double(samples) / m_tts.sampleRate();
    qInfo("long text: %.1f s of speech in %.2f s wall = %.1fx real time", audio, wall, audio / qMax(wall, 1e-6));
    QVERIFY2(audio >= 60.0, qPrintable(QString::number(audio)));
}

void TestTts::missingDataGivesClearError()
{
    // espeak's data path is process-global and set once, so probe it in a child process: this
    // same test executable, running only this function with PACELAB_TTS_CHILD set.
    if (qEnvironmentVariableIsSet("PACELAB_TTS_CHILD")) {
        EspeakTts tts;
        tts.setDataPath(qEnvironmentVariable("PACELAB_TTS_CHILD"));
        QString error;
        const bool ok = tts.initialize(&error);
        std::vector<qint16> pcm;
        QString error2;
        const bool synthOk = tts.synthesize(kSentence, &pcm, &error2);
        printf("CHILD init=%d synth=%d error=%s | %s\n", ok, synthOk, qPrintable(error), qPrintable(error2));
        fflush(stdout);
        return;
    }
    QTemporaryDir empty;
    QVERIFY(QDir(empty.path()).mkpath(QStringLiteral("espeak-ng-data")));
    QProcess child;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("PACELAB_TTS_CHILD"), empty.path());
    env.remove(QStringLiteral("ESPEAK_DATA_PATH"));
    child.setProcessEnvironment(env);
    child.start(QFileInfo(QStringLiteral("/proc/self/exe")).symLinkTarget(),
                {QStringLiteral("missingDataGivesClearError")});
    QVERIFY(child.waitForFinished(30000));
    const QString out = QString::fromLocal8Bit(child.readAllStandardOutput());
    QVERIFY2(out.contains(QStringLiteral("CHILD init=0 synth=0")), qPrintable(out));
    QVERIFY2(out.contains(QStringLiteral("espeak-ng voice data not found")), qPrintable(out));
    QVERIFY2(out.contains(QStringLiteral("install the Debian package espeak-ng-data")), qPrintable(out));
    QVERIFY2(out.contains(empty.path()), qPrintable(out));
}

QTEST_APPLESS_MAIN(TestTts)
#include "tst_tts.moc"

// The replay tab, driven like a user: open a capture, a WAV, a bad file; check the verdicts,
// the summary and the per-second charts it shows.
#include "ReplayTab.h"
#include "TimeSeriesPlot.h"
#include "audio/SignalGenerator.h"
#include "audio/WavFile.h"
#include "replay/Capture.h"
#include "twilio/TwilioMessages.h"

#include <QFile>
#include <QPushButton>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>
#include <QTextBrowser>

using namespace pacelab;
using namespace pacelab::ui;

namespace {
const QString kSid = QStringLiteral("MZ0123456789abcdef0123456789abcdef");
}

class TestReplayTab final : public QObject
{
    Q_OBJECT
private:
    static bool openAndWait(ReplayTab &tab, const QString &path)
    {
        QSignalSpy shown(&tab, &ReplayTab::resultShown);
        if (!tab.openFile(path))
            return false;
        return shown.wait(30000);
    }

private Q_SLOTS:
    void capturePacedAtRealTime();
    void wavHasNoTiming();
    void badFile();
};

void TestReplayTab::capturePacedAtRealTime()
{
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("call.jsonl"));
    {
        capture::CaptureWriter w;
        QVERIFY(w.open(path));
        // 6 s of 20 ms frames sent exactly on time.
        for (int i = 0; i < 300; ++i)
            w.recordMessage(capture::Dir::Out, capture::MsgKind::Text,
                            twilio::encodeMedia(kSid, QByteArray(160, char(0xff))), 1000 + qint64(i) * 20000);
        w.close();
    }
    ReplayTab tab;
    tab.resize(1200, 760);
    tab.show();
    QVERIFY(openAndWait(tab, path));
    QVERIFY2(tab.lastOk(), qPrintable(tab.lastError()));
    QVERIFY(tab.openButton()->isEnabled());
    const QString shown = tab.resultView()->toPlainText();
    QVERIFY2(shown.contains(QStringLiteral("PaceLab capture")) && shown.contains(QStringLiteral("300 outbound")), qPrintable(shown));
    QVERIFY2(shown.contains(QStringLiteral("Verdicts")) && shown.contains(QStringLiteral("Summary")), qPrintable(shown));
    QVERIFY2(shown.contains(QStringLiteral("Outbound: 300 media frames")), qPrintable(shown));
    QVERIFY2(!shown.contains(QStringLiteral("problem:")), qPrintable(shown));
    const QList<QPointF> fps = tab.fpsPlot()->seriesPoints(0);
    QVERIFY2(fps.size() >= 5 && fps.size() <= 8, qPrintable(QString::number(fps.size())));
    QCOMPARE(fps.at(1).y(), 50.0);
    QCOMPARE(tab.bufferedPlot()->seriesPoints(0).size(), fps.size());
    const QString shot = qEnvironmentVariable("PACELAB_DOCTOR_SHOT_DIR");
    if (!shot.isEmpty()) {
        QTest::qWait(400);
        tab.grab().save(shot + QStringLiteral("/replay.png"));
    }
}

void TestReplayTab::wavHasNoTiming()
{
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("call.wav"));
    PcmBuffer pcm;
    pcm.sampleRate = 16000;
    pcm.channels = 1;
    pcm.samples = pacelab::signal::sine(16000, 1.0, 300.0);
    QString err;
    QVERIFY(wav::writeFile(path, pcm, wav::Encoding::Pcm16, &err));
    ReplayTab tab;
    QVERIFY(openAndWait(tab, path));
    QVERIFY(tab.lastOk());
    const QString shown = tab.resultView()->toPlainText();
    QVERIFY2(shown.contains(QStringLiteral("WAV")) && shown.contains(QStringLiteral("no timing")), qPrintable(shown));
}

void TestReplayTab::badFile()
{
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("notes.txt"));
    QFile f(path);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write("just some notes\nnot a capture at all\n");
    f.close();
    ReplayTab tab;
    QVERIFY(openAndWait(tab, path));
    QVERIFY(!tab.lastOk());
    QVERIFY(!tab.lastError().isEmpty());
    const QString shown = tab.resultView()->toPlainText();
    QVERIFY2(shown.contains(QStringLiteral("Cannot replay")) && shown.contains(tab.lastError()), qPrintable(shown));
    QVERIFY(tab.fpsPlot()->seriesPoints(0).isEmpty());

    QVERIFY(openAndWait(tab, dir.filePath(QStringLiteral("missing.jsonl"))));
    QVERIFY(!tab.lastOk());
    QVERIFY2(!tab.lastError().isEmpty(), "no error for a missing file");
}

QTEST_MAIN(TestReplayTab)
#include "tst_replaytab.moc"

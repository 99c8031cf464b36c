// TelemetrySinks' JSON Lines file carries `sched` like the [TX] line: the publishing thread's
// scheduling when the snapshot has none, the snapshot's own when it has one. The thread's
// scheduling differs between machines, so the first check accepts any valid token and the
// exact one is checked only where the system lets this test set SCHED_FIFO itself.
#include "engine/TelemetrySinks.h"

#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QtTest>

#include <pthread.h>
#include <sched.h>

#include <thread>

using namespace pacelab;

class TstTelemetrySinks : public QObject
{
    Q_OBJECT

    static QList<QJsonObject> lines(const QString &path)
    {
        QList<QJsonObject> out;
        QFile f(path);
        if (!f.open(QIODevice::ReadOnly))
            return out;
        for (const QByteArray &l : f.readAll().split('\n'))
            if (!l.trimmed().isEmpty())
                out.append(QJsonDocument::fromJson(l).object());
        return out;
    }

private Q_SLOTS:
    void jsonlCarriesSched()
    {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const QString path = dir.filePath(QStringLiteral("t.jsonl"));
        {
            TelemetrySinks sinks;
            QVERIFY(sinks.openJsonl(path).isEmpty());
            TelemetrySnapshot s;
            s.secondIndex = 1;
            s.framesSent = 50;
            sinks.publish(s); // no sched: the thread's
            s.secondIndex = 2;
            s.sched = QStringLiteral("rtkit:rr:20");
            sinks.publish(s); // the engine's own token wins
        }
        const QList<QJsonObject> l = lines(path);
        QCOMPARE(l.size(), 2);
        const QString first = l[0].value(QStringLiteral("sched")).toString();
        QVERIFY2(QRegularExpression(QStringLiteral("^((fifo|rr):\\d+|nice:-\\d+|normal)$")).match(first).hasMatch(), qPrintable(first));
        QCOMPARE(first, TelemetrySinks::threadSchedTag());
        QCOMPARE(l[1].value(QStringLiteral("sched")).toString(), QStringLiteral("rtkit:rr:20"));
        // The round trip keeps it.
        QCOMPARE(TelemetrySnapshot::fromJson(l[0]).sched, first);
    }

    void fifoThreadReadsFifo()
    {
        // Where this process may use SCHED_FIFO (root, CAP_SYS_NICE or an rtprio limit), a
        // thread at FIFO 1 publishes fifo:1; elsewhere a normal thread publishes normal.
        QString tag;
        bool fifo = false;
        std::thread t([&] {
            sched_param sp{};
            sp.sched_priority = 1;
            fifo = pthread_setschedparam(pthread_self(), SCHED_FIFO, &sp) == 0;
            tag = TelemetrySinks::threadSchedTag();
        });
        t.join();
        if (fifo)
            QCOMPARE(tag, QStringLiteral("fifo:1"));
        else
            QVERIFY2(tag == QStringLiteral("normal") || tag.startsWith(QStringLiteral("nice:")), qPrintable(tag));
    }
};

QTEST_GUILESS_MAIN(TstTelemetrySinks)
#include "tst_telemetrysinks.moc"

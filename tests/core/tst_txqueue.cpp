// TxQueue: order, bound, drop-oldest, back-pressure, throttled warnings, concurrent producers.
#include "engine/TxQueue.h"

#include <QtTest>

#include <atomic>
#include <thread>
#include <vector>

using namespace pacelab;

namespace {

QByteArray frame(int n)
{
    // 160 B whose first four bytes carry the frame number.
    QByteArray f(160, char(0xFF));
    for (int i = 0; i < 4; ++i)
        f[i] = char((n >> (8 * i)) & 0xFF);
    return f;
}

int frameNo(const QByteArray &f)
{
    int n = 0;
    for (int i = 0; i < 4; ++i)
        n |= int(quint8(f[i])) << (8 * i);
    return n;
}

} // namespace

class TestTxQueue final : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void orderAndSeq();
    void boundAndWouldBlock();
    void highWaterBelowCapacity();
    void dropOldestKeepsNewest();
    void dropOldestSparesMarks();
    void unboundedNeverDrops();
    void blockingTimesOut();
    void backPressureWakesProducer();
    void clearAbortsWaitingProducer();
    void closeFailsProducers();
    void pushWaitingSaysWhy();
    void warningThrottled();
    void warningFlushedAfterQuiet();
    void warningAtMostOncePer2sOverTenSeconds();
    void warningIntervalZeroReportsEveryDrop();
    void fakeClockStampsItems();
    void concurrentProducersNoLoss();
    void popMarkOnlyPopsMarks();
};

void TestTxQueue::orderAndSeq()
{
    TxQueue q(10);
    for (int i = 0; i < 5; ++i)
        QCOMPARE(q.tryPush(TxItem::media(frame(i))), TxQueue::PushResult::Ok);
    QCOMPARE(q.size(), 5);
    quint64 lastSeq = 0;
    for (int i = 0; i < 5; ++i) {
        auto item = q.tryPop();
        QVERIFY(item);
        QCOMPARE(frameNo(item->payload), i);
        QVERIFY(item->seq > lastSeq);
        QVERIFY(item->enqueuedNs > 0);
        lastSeq = item->seq;
    }
    QVERIFY(!q.tryPop());
    QVERIFY(q.isEmpty());
}

void TestTxQueue::boundAndWouldBlock()
{
    TxQueue q(3);
    QCOMPARE(q.capacity(), 3);
    QCOMPARE(q.highWater(), 3);
    for (int i = 0; i < 3; ++i)
        QCOMPARE(q.tryPush(TxItem::media(frame(i))), TxQueue::PushResult::Ok);
    QCOMPARE(q.tryPush(TxItem::media(frame(3))), TxQueue::PushResult::WouldBlock);
    QCOMPARE(q.size(), 3);
    QCOMPARE(q.totalDrops(), 0u);
    QCOMPARE(q.takeMaxSize(), 3);
}

void TestTxQueue::highWaterBelowCapacity()
{
    TxQueue q(10, 4);
    QCOMPARE(q.highWater(), 4);
    for (int i = 0; i < 4; ++i)
        QVERIFY(q.pushBlocking(TxItem::media(frame(i)), 0));
    QVERIFY(!q.pushBlocking(TxItem::media(frame(4)), 20)); // times out at high water
    QCOMPARE(q.tryPush(TxItem::media(frame(4))), TxQueue::PushResult::WouldBlock);
    // Real-time sources still get in up to the capacity.
    QCOMPARE(q.pushDropOldest(TxItem::media(frame(4))), TxQueue::PushResult::Ok);
    QCOMPARE(q.size(), 5);
    TxQueue bad(10, 50); // a high-water above the capacity means the capacity
    QCOMPARE(bad.highWater(), 10);
}

void TestTxQueue::dropOldestKeepsNewest()
{
    TxQueue q(5);
    QStringList warnings;
    q.setWarningHandler([&](const QString &w) { warnings << w; });
    for (int i = 0; i < 8; ++i) {
        const auto r = q.pushDropOldest(TxItem::media(frame(i)));
        QCOMPARE(r, i < 5 ? TxQueue::PushResult::Ok : TxQueue::PushResult::DroppedOldest);
    }
    QCOMPARE(q.size(), 5);
    QCOMPARE(q.totalDrops(), 3u);
    for (int i = 3; i < 8; ++i)
        QCOMPARE(frameNo(q.tryPop()->payload), i);
    QCOMPARE(warnings.size(), 1); // the first drop is reported at once, the rest are throttled
    QVERIFY2(warnings.first().startsWith(QLatin1String("tx queue full: dropped 1 oldest frame")),
             qPrintable(warnings.first()));
}

void TestTxQueue::dropOldestSparesMarks()
{
    TxQueue q(3);
    q.setWarningHandler([](const QString &) {});
    QCOMPARE(q.pushAlways(TxItem::mark(QStringLiteral("m1"))), TxQueue::PushResult::Ok);
    q.pushDropOldest(TxItem::media(frame(1)));
    q.pushDropOldest(TxItem::media(frame(2)));
    QCOMPARE(q.pushDropOldest(TxItem::media(frame(3))), TxQueue::PushResult::DroppedOldest);
    auto first = q.tryPop();
    QCOMPARE(first->kind, TxItem::Mark);
    QCOMPARE(first->markName, QStringLiteral("m1"));
    QCOMPARE(frameNo(q.tryPop()->payload), 2);
    QCOMPARE(frameNo(q.tryPop()->payload), 3);
}

void TestTxQueue::unboundedNeverDrops()
{
    TxQueue q(0);
    QCOMPARE(q.capacity(), 0);
    for (int i = 0; i < 1000; ++i) {
        QCOMPARE(q.pushDropOldest(TxItem::media(frame(i))), TxQueue::PushResult::Ok);
        QVERIFY(q.pushBlocking(TxItem::media(frame(i)), 0));
    }
    QCOMPARE(q.size(), 2000);
    QCOMPARE(q.totalDrops(), 0u);
}

void TestTxQueue::blockingTimesOut()
{
    TxQueue q(1);
    QVERIFY(q.pushBlocking(TxItem::media(frame(0)), 0));
    QElapsedTimer t;
    t.start();
    QVERIFY(!q.pushBlocking(TxItem::media(frame(1)), 100));
    QVERIFY(t.elapsed() >= 90);
    QCOMPARE(q.size(), 1);
}

void TestTxQueue::backPressureWakesProducer()
{
    TxQueue q(2);
    QVERIFY(q.pushBlocking(TxItem::media(frame(0))));
    QVERIFY(q.pushBlocking(TxItem::media(frame(1))));
    std::atomic<bool> done{false};
    std::atomic<bool> ok{false};
    std::thread producer([&] {
        ok = q.pushBlocking(TxItem::media(frame(2)), 20000);
        done = true;
    });
    QThread::msleep(150);
    QVERIFY(!done); // still blocked: the queue is at high water
    QCOMPARE(frameNo(q.tryPop()->payload), 0);
    QTRY_VERIFY_WITH_TIMEOUT(done.load(), 10000);
    producer.join();
    QVERIFY(ok);
    QCOMPARE(frameNo(q.tryPop()->payload), 1);
    QCOMPARE(frameNo(q.tryPop()->payload), 2);
}

void TestTxQueue::clearAbortsWaitingProducer()
{
    TxQueue q(1);
    QVERIFY(q.pushBlocking(TxItem::media(frame(0))));
    std::atomic<int> result{-1};
    std::thread producer([&] { result = q.pushBlocking(TxItem::media(frame(1)), 20000) ? 1 : 0; });
    QThread::msleep(100);
    QCOMPARE(q.clear(true), 1);
    producer.join();
    QCOMPARE(result.load(), 0); // stale audio is not pushed after a barge-in
    QVERIFY(q.isEmpty());
    // A plain clear wakes the producer and lets it push.
    QVERIFY(q.pushBlocking(TxItem::media(frame(2))));
    std::thread producer2([&] { result = q.pushBlocking(TxItem::media(frame(3)), 20000) ? 1 : 0; });
    QThread::msleep(100);
    q.clear(false);
    producer2.join();
    QCOMPARE(result.load(), 1);
    QCOMPARE(frameNo(q.tryPop()->payload), 3);
}

void TestTxQueue::closeFailsProducers()
{
    TxQueue q(1);
    QVERIFY(q.pushBlocking(TxItem::media(frame(0))));
    std::atomic<int> result{-1};
    std::thread producer([&] { result = q.pushBlocking(TxItem::media(frame(1))) ? 1 : 0; });
    QThread::msleep(100);
    q.close();
    producer.join();
    QCOMPARE(result.load(), 0);
    QVERIFY(q.isClosed());
    QCOMPARE(q.tryPush(TxItem::media(frame(2))), TxQueue::PushResult::Closed);
    QCOMPARE(q.pushDropOldest(TxItem::media(frame(2))), TxQueue::PushResult::Closed);
    QCOMPARE(q.pushAlways(TxItem::mark(QStringLiteral("x"))), TxQueue::PushResult::Closed);
    q.reopen();
    QCOMPARE(q.pushAlways(TxItem::mark(QStringLiteral("x"))), TxQueue::PushResult::Ok);
}

void TestTxQueue::pushWaitingSaysWhy()
{
    TxQueue q(1);
    QCOMPARE(q.pushWaiting(TxItem::media(frame(0)), 0), TxQueue::PushResult::Ok);
    QCOMPARE(q.pushWaiting(TxItem::media(frame(1)), 0), TxQueue::PushResult::WouldBlock); // timed out
    // clear(true) while the producer waits: Aborted. A producer that only starts waiting after
    // the clear pushes normally (Ok), so on a loaded machine try again until it was caught waiting.
    TxQueue::PushResult r = TxQueue::PushResult::Ok;
    for (int attempt = 0; attempt < 50 && r == TxQueue::PushResult::Ok; ++attempt) {
        std::thread producer([&] { r = q.pushWaiting(TxItem::media(frame(2)), 20000); });
        QThread::msleep(20);
        q.clear(true);
        producer.join();
        if (r == TxQueue::PushResult::Ok)
            QCOMPARE(q.size(), 1); // it pushed after the clear: the queue is full again
        else
            QVERIFY(q.isEmpty());
        if (q.isEmpty())
            QCOMPARE(q.pushWaiting(TxItem::media(frame(0)), 0), TxQueue::PushResult::Ok);
    }
    QCOMPARE(r, TxQueue::PushResult::Aborted);
    q.close();
    QCOMPARE(q.pushWaiting(TxItem::media(frame(3)), 0), TxQueue::PushResult::Closed);
}

void TestTxQueue::warningThrottled()
{
    qint64 nowNs = 1'000'000'000;
    TxQueue q(2);
    q.setClock([&] { return nowNs; });
    q.setDropWarnInterval(2000);
    QStringList warnings;
    q.setWarningHandler([&](const QString &w) { warnings << w; });
    q.pushDropOldest(TxItem::media(frame(0)));
    q.pushDropOldest(TxItem::media(frame(1)));
    // 100 drops over 1.9 s of fake time: one warning (the first drop) only.
    for (int i = 0; i < 100; ++i) {
        nowNs += 19'000'000;
        q.pushDropOldest(TxItem::media(frame(2 + i)));
    }
    QCOMPARE(warnings.size(), 1);
    QCOMPARE(warnings[0], QStringLiteral("tx queue full: dropped 1 oldest frame"));
    // Past the interval, the next drop reports everything since.
    nowNs += 200'000'000;
    q.pushDropOldest(TxItem::media(frame(500)));
    QCOMPARE(warnings.size(), 2);
    QCOMPARE(warnings[1], QStringLiteral("tx queue full: dropped 100 oldest frames in the last 2.1 s"));
    QCOMPARE(q.totalDrops(), 101u);
}

void TestTxQueue::warningFlushedAfterQuiet()
{
    qint64 nowNs = 5'000'000'000;
    TxQueue q(1);
    q.setClock([&] { return nowNs; });
    q.setDropWarnInterval(2000);
    QStringList warnings;
    q.setWarningHandler([&](const QString &w) { warnings << w; });
    q.pushDropOldest(TxItem::media(frame(0)));
    for (int i = 0; i < 5; ++i)
        q.pushDropOldest(TxItem::media(frame(i + 1))); // 5 drops: 1 reported, 4 pending
    QCOMPARE(warnings.size(), 1);
    q.flushDropWarning(); // too early
    QCOMPARE(warnings.size(), 1);
    nowNs += 2'500'000'000;
    q.flushDropWarning();
    QCOMPARE(warnings.size(), 2);
    QCOMPARE(warnings[1], QStringLiteral("tx queue full: dropped 4 oldest frames in the last 2.5 s"));
    nowNs += 5'000'000'000;
    q.flushDropWarning(); // nothing pending: silent
    QCOMPARE(warnings.size(), 2);
}

void TestTxQueue::warningAtMostOncePer2sOverTenSeconds()
{
    // A real-time producer overruns a full queue by one frame every 20 ms for 10 s of fake time
    // (500 drops), and the sender flushes pending warnings once a second, as PacedSender does.
    qint64 nowNs = 7'000'000'000;
    const qint64 t0 = nowNs;
    TxQueue q(10);
    q.setClock([&] { return nowNs; });
    q.setDropWarnInterval(2000);
    QStringList warnings;
    QList<qint64> at;
    q.setWarningHandler([&](const QString &w) {
        warnings << w;
        at << nowNs - t0;
    });
    for (int i = 0; i < 10; ++i)
        QCOMPARE(q.pushDropOldest(TxItem::media(frame(i))), TxQueue::PushResult::Ok);
    for (int i = 0; i < 500; ++i) {
        nowNs = t0 + qint64(i) * 20'000'000;
        QCOMPARE(q.pushDropOldest(TxItem::media(frame(10 + i))), TxQueue::PushResult::DroppedOldest);
        if (i % 50 == 0)
            q.flushDropWarning(); // the sender's once-a-second flush
    }
    nowNs = t0 + 10'000'000'000;
    q.flushDropWarning();
    const QString every2s = QStringLiteral("tx queue full: dropped 100 oldest frames in the last 2.0 s");
    QCOMPARE(warnings, (QStringList{QStringLiteral("tx queue full: dropped 1 oldest frame"), every2s, every2s,
                                    every2s, every2s,
                                    QStringLiteral("tx queue full: dropped 99 oldest frames in the last 2.0 s")}));
    QCOMPARE(at, (QList<qint64>{0, 2'000'000'000, 4'000'000'000, 6'000'000'000, 8'000'000'000, 10'000'000'000}));
    QCOMPARE(q.totalDrops(), 500u); // 1 + 4 x 100 + 99: every drop reported exactly once
    QCOMPARE(q.size(), 10);
}

void TestTxQueue::warningIntervalZeroReportsEveryDrop()
{
    qint64 nowNs = 1'000'000'000;
    TxQueue q(1);
    q.setClock([&] { return nowNs; });
    q.setDropWarnInterval(0);
    QStringList warnings;
    q.setWarningHandler([&](const QString &w) { warnings << w; });
    q.pushDropOldest(TxItem::media(frame(0)));
    for (int i = 1; i <= 3; ++i) {
        nowNs += 500'000'000;
        q.pushDropOldest(TxItem::media(frame(i)));
    }
    QCOMPARE(warnings, (QStringList{QStringLiteral("tx queue full: dropped 1 oldest frame"),
                                    QStringLiteral("tx queue full: dropped 1 oldest frame in the last 0.5 s"),
                                    QStringLiteral("tx queue full: dropped 1 oldest frame in the last 0.5 s")}));
}

void TestTxQueue::fakeClockStampsItems()
{
    qint64 nowNs = 42'000'000;
    TxQueue q(4);
    q.setClock([&] { return nowNs; });
    q.tryPush(TxItem::media(frame(0)));
    nowNs += 20'000'000;
    TxItem stamped = TxItem::media(frame(1));
    stamped.enqueuedNs = 1; // a producer's own timestamp is kept
    q.tryPush(std::move(stamped));
    QCOMPARE(q.tryPop()->enqueuedNs, 42'000'000);
    QCOMPARE(q.tryPop()->enqueuedNs, 1);
}

void TestTxQueue::concurrentProducersNoLoss()
{
    constexpr int kProducers = 4;
    constexpr int kPerProducer = 2000;
    TxQueue q(64); // smaller than the total: producers are back-pressured, nothing is lost
    std::vector<std::thread> producers;
    for (int p = 0; p < kProducers; ++p) {
        producers.emplace_back([&q, p] {
            for (int i = 0; i < kPerProducer; ++i)
                q.pushBlocking(TxItem::media(frame(p * 100000 + i)));
        });
    }
    std::vector<int> next(kProducers, 0);
    int received = 0;
    QElapsedTimer t;
    t.start();
    while (received < kProducers * kPerProducer && t.elapsed() < 30000) {
        auto item = q.tryPop();
        if (!item) {
            std::this_thread::yield();
            continue;
        }
        const int n = frameNo(item->payload);
        const int p = n / 100000;
        QVERIFY(p >= 0 && p < kProducers);
        QCOMPARE(n % 100000, next[p]); // each producer's frames stay in its order
        ++next[p];
        ++received;
    }
    for (auto &th : producers)
        th.join();
    QCOMPARE(received, kProducers * kPerProducer);
    QCOMPARE(q.totalDrops(), 0u);
    QCOMPARE(q.totalPushed(), quint64(kProducers * kPerProducer));
}

void TestTxQueue::popMarkOnlyPopsMarks()
{
    TxQueue q(10);
    q.pushAlways(TxItem::media(frame(1)));
    q.pushAlways(TxItem::mark(QStringLiteral("a")));
    QVERIFY(!q.tryPopMark());
    QCOMPARE(q.tryPop()->kind, TxItem::Media);
    auto m = q.tryPopMark();
    QVERIFY(m);
    QCOMPARE(m->markName, QStringLiteral("a"));
}

QTEST_GUILESS_MAIN(TestTxQueue)
#include "tst_txqueue.moc"

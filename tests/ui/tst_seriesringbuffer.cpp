#include "SeriesRingBuffer.h"

#include <QTest>
#include <limits>

using pacelab::ui::SeriesRingBuffer;

class TestSeriesRingBuffer final : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void emptyBuffer()
    {
        SeriesRingBuffer b(4);
        QVERIFY(b.isEmpty());
        QCOMPARE(b.points().size(), 0);
        double lo = 7, hi = 7;
        QVERIFY(!b.valueRange(-1e9, &lo, &hi));
        QCOMPARE(lo, 7.0); // untouched when there is nothing
    }

    void keepsNewestWhenFull()
    {
        SeriesRingBuffer b(3);
        for (int i = 0; i < 5; ++i)
            QVERIFY(b.append(i, i * 10));
        QCOMPARE(b.size(), 3);
        const QList<QPointF> p = b.points();
        QCOMPARE(p.size(), 3);
        QCOMPARE(p[0], QPointF(2, 20));
        QCOMPARE(p[2], QPointF(4, 40));
        QCOMPARE(b.last(), QPointF(4, 40));
    }

    void windowByTime()
    {
        SeriesRingBuffer b(100);
        for (int i = 0; i < 100; ++i)
            b.append(i * 0.5, i);
        const QList<QPointF> p = b.points(40.0);
        QCOMPARE(p.size(), 20); // t = 40.0 .. 49.5
        QCOMPARE(p.first().x(), 40.0);
        double lo, hi;
        QVERIFY(b.valueRange(40.0, &lo, &hi));
        QCOMPARE(lo, 80.0);
        QCOMPARE(hi, 99.0);
        QCOMPARE(b.points(1000).size(), 0);
    }

    void wrapsAndSearchesAfterWrap()
    {
        SeriesRingBuffer b(10);
        for (int i = 0; i < 25; ++i)
            b.append(i, -i);
        const QList<QPointF> p = b.points(20);
        QCOMPARE(p.size(), 5);
        QCOMPARE(p.first(), QPointF(20, -20));
        double lo, hi;
        QVERIFY(b.valueRange(0, &lo, &hi));
        QCOMPARE(lo, -24.0);
        QCOMPARE(hi, -15.0);
    }

    void rejectsBadPoints()
    {
        SeriesRingBuffer b(5);
        QVERIFY(b.append(10, 1));
        QVERIFY(!b.append(9, 1)); // back in time
        QVERIFY(!b.append(std::numeric_limits<double>::quiet_NaN(), 1));
        QVERIFY(!b.append(11, std::numeric_limits<double>::infinity()));
        QVERIFY(b.append(10, 2)); // same time is fine
        QCOMPARE(b.size(), 2);
        b.clear();
        QVERIFY(b.isEmpty());
        QVERIFY(b.append(1, 1)); // after clear any time is accepted
    }

    void zeroCapacityIsClamped()
    {
        SeriesRingBuffer b(0);
        QCOMPARE(b.capacity(), 1);
        b.append(1, 1);
        b.append(2, 2);
        QCOMPARE(b.points().size(), 1);
        QCOMPARE(b.last(), QPointF(2, 2));
    }
};

QTEST_APPLESS_MAIN(TestSeriesRingBuffer)
#include "tst_seriesringbuffer.moc"

// The live window from 1024x700 to 1920x1080: every key control visible, inside the window and
// readable (no elided text), PASS/FAIL in view, charts rearranged rather than squeezed.
#include "ChartsPanel.h"
#include "ChecklistPanel.h"
#include "ConnectionPanel.h"
#include "MainWindow.h"
#include "SourcesPanel.h"
#include "TimeSeriesPlot.h"

#include <QAbstractButton>
#include <QComboBox>
#include <QHeaderView>
#include <QLabel>
#include <QSettings>
#include <QStandardPaths>
#include <QStatusBar>
#include <QTabBar>
#include <QTabWidget>
#include <QTableWidget>
#include <QTest>

using namespace pacelab::ui;

namespace {
QString plain(QString text)
{
    text.remove(QLatin1Char('&'));
    return text;
}

// Whether w is shown, non-empty and entirely inside the window.
QString outside(QWidget *w, QWidget *window)
{
    if (!w->isVisible())
        return QStringLiteral("%1 hidden").arg(w->objectName());
    const QRect r(w->mapTo(window, QPoint(0, 0)), w->size());
    if (r.isEmpty() || !window->rect().contains(r))
        return QStringLiteral("%1 at %2,%3 %4x%5 outside %6x%7")
            .arg(w->objectName().isEmpty() ? QString::fromLatin1(w->metaObject()->className()) : w->objectName())
            .arg(r.x()).arg(r.y()).arg(r.width()).arg(r.height()).arg(window->width()).arg(window->height());
    return {};
}

// Texts of the visible buttons, labels and tab bars that do not fit their widget.
QStringList clipped(QWidget *root)
{
    QStringList out;
    for (QAbstractButton *b : root->findChildren<QAbstractButton *>()) {
        if (!b->isVisible() || b->text().isEmpty() || b->inherits("QTabBar"))
            continue;
        const int need = b->fontMetrics().horizontalAdvance(plain(b->text())) + (b->icon().isNull() ? 0 : b->iconSize().width() + 4);
        if (need > b->contentsRect().width() - 4)
            out << QStringLiteral("button '%1' needs %2 px, has %3").arg(b->text()).arg(need).arg(b->contentsRect().width());
    }
    for (QLabel *l : root->findChildren<QLabel *>()) {
        if (!l->isVisible() || l->text().isEmpty() || l->objectName().startsWith(QLatin1String("telemetry")))
            continue;
        if (l->wordWrap()) {
            if (l->heightForWidth(l->width()) > l->height() + 1)
                out << QStringLiteral("label '%1' wrapped needs %2 px high, has %3").arg(l->text().left(40)).arg(l->heightForWidth(l->width())).arg(l->height());
        } else if (l->sizeHint().width() > l->width() + 1 && l->sizePolicy().horizontalPolicy() != QSizePolicy::Ignored) {
            out << QStringLiteral("label '%1' needs %2 px, has %3").arg(l->text().left(40)).arg(l->sizeHint().width()).arg(l->width());
        }
    }
    for (QTabBar *t : root->findChildren<QTabBar *>()) {
        if (!t->isVisible())
            continue;
        for (int i = 0; i < t->count(); ++i) {
            const int need = t->fontMetrics().horizontalAdvance(plain(t->tabText(i)));
            if (need > t->tabRect(i).width() - 8)
                out << QStringLiteral("tab '%1' needs %2 px, has %3").arg(t->tabText(i)).arg(need).arg(t->tabRect(i).width());
        }
    }
    for (QComboBox *c : root->findChildren<QComboBox *>()) {
        if (!c->isVisible() || c->isEditable())
            continue;
        const int need = c->fontMetrics().horizontalAdvance(c->currentText());
        if (need > c->width() - 24)
            out << QStringLiteral("combo '%1' needs %2 px, has %3").arg(c->currentText()).arg(need).arg(c->width());
    }
    return out;
}
} // namespace

class TestLayout final : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase()
    {
        QStandardPaths::setTestModeEnabled(true);
        QCoreApplication::setOrganizationName(QStringLiteral("PaceLabTest"));
        QCoreApplication::setApplicationName(QStringLiteral("tst_layout"));
        QSettings().clear();
    }

    void sizes_data()
    {
        QTest::addColumn<QSize>("size");
        QTest::newRow("1024x700") << QSize(1024, 700);
        QTest::newRow("1280x800") << QSize(1280, 800);
        QTest::newRow("1920x1080") << QSize(1920, 1080);
    }
    void sizes()
    {
        QFETCH(QSize, size);
        MainWindow w;
        w.resize(size);
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        QTest::qWait(50);
        QCoreApplication::processEvents();
        // The window can be as small as asked: nothing's minimum forces it wider or taller.
        QVERIFY2(w.width() <= size.width() && w.height() <= size.height(),
                 qPrintable(QStringLiteral("window %1x%2, minimum %3x%4")
                                .arg(w.width()).arg(w.height())
                                .arg(w.minimumSizeHint().width()).arg(w.minimumSizeHint().height())));

        QStringList problems;
        // Charts: arranged to fit, each readable.
        for (TimeSeriesPlot *p : w.charts()->plots())
            if (p->isVisible()) {
                if (const QString o = outside(p, &w); !o.isEmpty())
                    problems << p->title() + QStringLiteral(": ") + o;
                if (p->width() < 240 || p->height() < 140)
                    problems << QStringLiteral("%1 squeezed to %2x%3").arg(p->title()).arg(p->width()).arg(p->height());
            }
        problems << w.charts()->clippedTexts();
        qInfo("%dx%d: charts %d columns x %d rows, %d page(s); compact %d", size.width(), size.height(),
              w.charts()->columns(), w.charts()->rowsPerPage(), w.charts()->pageCount(), int(w.isCompact()));
        if (size.width() >= 1280)
            QCOMPARE(w.charts()->pageCount(), 1); // every chart at a glance from 1280x800 up

        // The connection controls.
        auto *connect = w.connectionPanel()->findChild<QAbstractButton *>(QStringLiteral("connect"));
        QVERIFY(connect);
        if (const QString o = outside(connect, &w); !o.isEmpty())
            problems << o;

        // The checklist: brought into view, its Result column (PASS/FAIL) entirely visible.
        if (w.isCompact())
            w.bottomTabs()->setCurrentWidget(w.checklist());
        QCoreApplication::processEvents();
        QTableWidget *table = w.checklist()->table();
        if (const QString o = outside(table, &w); !o.isEmpty())
            problems << o;
        const int resultCol = 1;
        QCOMPARE(table->horizontalHeaderItem(resultCol)->text(), QStringLiteral("Result"));
        const int x = table->columnViewportPosition(resultCol);
        if (x < 0 || x + table->columnWidth(resultCol) > table->viewport()->width())
            problems << QStringLiteral("Result column at %1+%2, viewport %3").arg(x).arg(table->columnWidth(resultCol)).arg(table->viewport()->width());
        if (table->fontMetrics().horizontalAdvance(QStringLiteral("CANCELLED")) + 24 > table->columnWidth(resultCol))
            problems << QStringLiteral("Result column too narrow for its words");
        for (const char *name : {"runAll", "runSelected", "cancel", "export"})
            if (auto *b = w.checklist()->findChild<QWidget *>(QString::fromLatin1(name)); !b || !outside(b, &w).isEmpty())
                problems << QStringLiteral("checklist button %1 not in view").arg(QString::fromLatin1(name));

        problems << clipped(&w);
        if (qEnvironmentVariableIsSet("PACELAB_TEST_SHOTS"))
            w.grab().save(qEnvironmentVariable("PACELAB_TEST_SHOTS") + QStringLiteral("/layout-%1x%2.png").arg(size.width()).arg(size.height()));
        QVERIFY2(problems.isEmpty(), qPrintable(problems.join(QLatin1Char('\n'))));
    }
};

QTEST_MAIN(TestLayout)
#include "tst_layout.moc"

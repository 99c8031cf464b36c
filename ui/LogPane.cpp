#include "LogPane.h"

#include <QComboBox>
#include <QDateTime>
#include <QFontDatabase>
#include <QHBoxLayout>
#include <QLabel>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QVBoxLayout>

namespace pacelab::ui {

namespace {
constexpr qint64 kRepeatWindowMs = 2000;
constexpr int kMaxBlocks = 5000; // keeps memory and layout cost bounded on long runs

int levelRank(const QString &level)
{
    if (level == QLatin1String("error"))
        return 2;
    if (level == QLatin1String("warning"))
        return 1;
    return 0;
}
} // namespace

LogPane::LogPane(QWidget *parent)
    : QWidget(parent)
    , m_view(new QPlainTextEdit(this))
    , m_filter(new QComboBox(this))
{
    m_clock.start();
    m_view->setReadOnly(true);
    m_view->setAccessibleName(tr("Session log"));
    m_filter->setAccessibleName(tr("Log filter"));
    m_view->setMaximumBlockCount(kMaxBlocks);
    m_view->setLineWrapMode(QPlainTextEdit::WidgetWidth);
    QFont mono = QFontDatabase::systemFont(QFontDatabase::FixedFont);
    mono.setPointSizeF(std::max(8.0, mono.pointSizeF() - 1));
    m_view->setFont(mono);
    m_filter->addItem(tr("All messages"), 0);
    m_filter->addItem(tr("Warnings and errors"), 1);
    m_filter->addItem(tr("Errors only"), 2);
    auto *clear = new QPushButton(tr("Clear"), this);
    connect(clear, &QPushButton::clicked, m_view, &QPlainTextEdit::clear);

    auto *top = new QHBoxLayout;
    auto *title = new QLabel(tr("<b>Log</b>"), this);
    top->addWidget(title);
    top->addStretch();
    top->addWidget(m_filter);
    top->addWidget(clear);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    layout->addLayout(top);
    layout->addWidget(m_view);
}

void LogPane::append(const QString &level, const QString &text)
{
    if (levelRank(level) < m_filter->currentData().toInt())
        return;
    const qint64 now = m_clock.elapsed();
    const QString key = level + QLatin1Char('|') + text;
    Repeat &r = m_repeats[key];
    if (r.lastShownMs > 0 && now - r.lastShownMs < kRepeatWindowMs) {
        ++r.suppressed;
        ++m_suppressedTotal;
        return;
    }
    QString line = QDateTime::currentDateTime().toString(QStringLiteral("HH:mm:ss.zzz"));
    line += QLatin1Char(' ');
    line += level == QLatin1String("error") ? QStringLiteral("ERROR ")
          : level == QLatin1String("warning") ? QStringLiteral("WARN  ")
                                              : QStringLiteral("      ");
    line += text;
    if (r.suppressed > 0)
        line += tr("  (repeated %1 more times)").arg(r.suppressed);
    r.lastShownMs = std::max<qint64>(1, now);
    r.suppressed = 0;
    if (m_repeats.size() > 2000)
        m_repeats.clear(); // many distinct messages: forget old throttling state
    const QString color = level == QLatin1String("error")     ? QStringLiteral("#b00020")
                          : level == QLatin1String("warning") ? QStringLiteral("#9a6700")
                                                              : QString();
    if (color.isEmpty())
        m_view->appendPlainText(line);
    else
        m_view->appendHtml(QStringLiteral("<span style=\"color:%1\">%2</span>").arg(color, line.toHtmlEscaped()));
    ++m_lines;
}

QString LogPane::plainText() const
{
    return m_view->toPlainText();
}

} // namespace pacelab::ui

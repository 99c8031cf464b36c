#include "LoadKneeChart.h"

#include <QPainter>

#include <algorithm>

namespace pacelab::ui {

namespace {
const QColor kHolds(0, 158, 115);   // Okabe-Ito green
const QColor kBreaks(213, 94, 0);   // vermillion
} // namespace

LoadKneeChart::LoadKneeChart(QWidget *parent)
    : QWidget(parent)
{
    setAccessibleName(tr("Knee chart: % of calls failing per step"));
    setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Expanding);
    m_placeholder = tr("run with steps (e.g. 10,50,100) to find the knee");
}

void LoadKneeChart::setSteps(const QList<Step> &steps, int kneeAt)
{
    m_steps = steps;
    m_kneeAt = kneeAt;
    QStringList parts;
    for (const Step &s : steps)
        parts << tr("%1 calls: %2 % failing (%3)").arg(s.calls).arg(s.failingPct, 0, 'f', 0)
                     .arg(s.holds ? tr("holds") : tr("breaks"));
    setAccessibleDescription(parts.isEmpty() ? m_placeholder : parts.join(QStringLiteral("; ")));
    update();
}

void LoadKneeChart::setPlaceholderText(const QString &text)
{
    m_placeholder = text;
    update();
}

void LoadKneeChart::paintEvent(QPaintEvent *)
{
    QPainter p(this);
    p.fillRect(rect(), palette().base());
    p.setPen(palette().mid().color());
    p.drawRect(rect().adjusted(0, 0, -1, -1));
    const QFontMetrics fm(font());
    const int lineH = fm.height();
    QFont bold = font();
    bold.setBold(true);
    p.setFont(bold);
    p.setPen(palette().text().color());
    p.drawText(QRect(4, 2, width() - 8, lineH), Qt::AlignHCenter,
               QFontMetrics(bold).elidedText(tr("Knee: % of calls failing"), Qt::ElideRight, width() - 8));
    p.setFont(font());

    const int left = fm.horizontalAdvance(QStringLiteral("100 %")) + 6;
    const QRect plot(left, 4 + 2 * lineH + 2, width() - left - 8, height() - (4 + 2 * lineH + 2) - 2 * lineH - 4);
    if (plot.width() < 20 || plot.height() < 20)
        return;
    for (int pct = 0; pct <= 100; pct += 50) {
        const int y = plot.bottom() - plot.height() * pct / 100;
        p.setPen(palette().midlight().color());
        p.drawLine(plot.left(), y, plot.right(), y);
        p.setPen(palette().text().color());
        p.drawText(QRect(0, y - lineH / 2, left - 4, lineH), Qt::AlignRight | Qt::AlignVCenter, QStringLiteral("%1 %").arg(pct));
    }
    p.drawText(QRect(plot.left(), plot.bottom() + 2 + lineH, plot.width(), lineH), Qt::AlignHCenter, tr("concurrent calls"));
    if (m_steps.isEmpty()) {
        p.setPen(palette().placeholderText().color());
        // On a plain box, so the text never reads through a limit or grid line.
        const QRect inner = plot.adjusted(6, 0, -6, 0);
        QRect box = p.boundingRect(inner, Qt::AlignCenter | Qt::TextWordWrap, m_placeholder).adjusted(-3, -2, 3, 2);
        p.fillRect(box, palette().base());
        p.drawText(inner, Qt::AlignCenter | Qt::TextWordWrap, m_placeholder);
        return;
    }
    const double slot = double(plot.width()) / m_steps.size();
    for (int i = 0; i < m_steps.size(); ++i) {
        const Step &s = m_steps.at(i);
        const double h = std::max(1.0, plot.height() * std::clamp(s.failingPct, 0.0, 100.0) / 100.0);
        const QRectF bar(plot.left() + i * slot + slot * 0.2, plot.bottom() - h, slot * 0.6, h);
        p.fillRect(bar, s.holds ? kHolds : kBreaks);
        p.setPen(palette().text().color());
        const QString verdict = s.holds ? tr("holds") : tr("%1 %").arg(s.failingPct, 0, 'f', 0);
        p.drawText(QRectF(plot.left() + i * slot, bar.top() - lineH - 1, slot, lineH), Qt::AlignHCenter, verdict);
        const QString calls = s.calls == m_kneeAt ? QStringLiteral("%1 ◆").arg(s.calls) : QString::number(s.calls);
        p.drawText(QRectF(plot.left() + i * slot, plot.bottom() + 2, slot, lineH), Qt::AlignHCenter, calls);
    }
}

} // namespace pacelab::ui

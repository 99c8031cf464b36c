#include "LoadHistogram.h"

#include <QPainter>
#include <QPaintEvent>

#include <algorithm>
#include <cmath>

namespace pacelab::ui {

namespace {
constexpr int kBins = 20;
const QColor kBar(0, 114, 178);     // Okabe-Ito blue
const QColor kLimit(213, 94, 0);    // vermillion, dashed and labelled

QString shortNumber(double v)
{
    return QString::number(v, 'g', 3);
}
} // namespace

LoadHistogram::LoadHistogram(const QString &title, const QString &unit, QWidget *parent)
    : QWidget(parent)
    , m_title(title)
    , m_unit(unit)
    , m_counts(kBins, 0)
{
    setAccessibleName(title);
    setAccessibleDescription(tr("histogram across calls: no calls yet"));
    setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Expanding);
    rebin();
}

void LoadHistogram::setLimits(const QList<double> &limits)
{
    m_limits = limits;
    rebin();
    update();
}

void LoadHistogram::setBaseRange(double lo, double hi)
{
    m_baseLo = lo;
    m_baseHi = std::max(hi, lo + 1e-9);
    rebin();
    update();
}

void LoadHistogram::setValues(const QList<double> &values)
{
    m_values = values;
    rebin();
    setAccessibleDescription(values.isEmpty()
                                 ? tr("histogram across calls: no calls yet")
                                 : tr("histogram across %1 calls, %2 to %3 %4")
                                       .arg(values.size())
                                       .arg(shortNumber(*std::min_element(values.cbegin(), values.cend())),
                                            shortNumber(*std::max_element(values.cbegin(), values.cend())), m_unit));
    update();
}

void LoadHistogram::rebin()
{
    double lo = m_baseLo, hi = m_baseHi;
    for (double v : m_values) {
        if (!std::isfinite(v))
            continue;
        lo = std::min(lo, v);
        hi = std::max(hi, v);
    }
    for (double l : m_limits) {
        lo = std::min(lo, l);
        hi = std::max(hi, l);
    }
    if (hi - lo < 1e-9)
        hi = lo + 1.0;
    m_lo = lo;
    m_hi = hi;
    m_counts = QList<int>(kBins, 0);
    for (double v : m_values)
        if (std::isfinite(v))
            ++m_counts[std::clamp(int((v - lo) / (hi - lo) * kBins), 0, kBins - 1)];
}

void LoadHistogram::paintEvent(QPaintEvent *)
{
    ++m_paints;
    QPainter p(this);
    p.fillRect(rect(), palette().base());
    p.setPen(palette().mid().color());
    p.drawRect(rect().adjusted(0, 0, -1, -1));

    QFont f = font();
    QFont bold = f;
    bold.setBold(true);
    const QFontMetrics fm(f);
    const int lineH = fm.height();
    p.setPen(palette().text().color());
    p.setFont(bold);
    const QString head = m_values.isEmpty() ? m_title : tr("%1 (%2 calls)").arg(m_title).arg(m_values.size());
    p.drawText(QRect(4, 2, width() - 8, lineH), Qt::AlignHCenter | Qt::AlignVCenter,
               QFontMetrics(bold).elidedText(head, Qt::ElideRight, width() - 8));
    p.setFont(f);

    const int most = *std::max_element(m_counts.cbegin(), m_counts.cend());
    const int left = fm.horizontalAdvance(QString::number(std::max(most, 10))) + 8;
    // A line under the title for the limits, so their label never covers a bar.
    const int top = 4 + lineH + (m_limits.isEmpty() ? 4 : lineH + 4);
    const QRect plot(left, top, width() - left - 8, height() - top - 2 * lineH - 4);
    if (plot.width() < 20 || plot.height() < 20)
        return;
    p.setPen(palette().mid().color());
    p.drawLine(plot.bottomLeft(), plot.bottomRight());
    p.drawLine(plot.bottomLeft(), plot.topLeft());

    p.setPen(palette().text().color());
    const auto xOf = [&](double v) { return plot.left() + plot.width() * (v - m_lo) / (m_hi - m_lo); };
    // x labels: the range ends and the unit
    p.drawText(QRect(plot.left() - 20, plot.bottom() + 2, 60, lineH), Qt::AlignLeft, shortNumber(m_lo));
    p.drawText(QRect(plot.right() - 60, plot.bottom() + 2, 60, lineH), Qt::AlignRight, shortNumber(m_hi));
    p.drawText(QRect(plot.left(), plot.bottom() + 2 + lineH, plot.width(), lineH), Qt::AlignHCenter,
               m_unit.isEmpty() ? tr("calls per bin") : tr("%1 · calls per bin").arg(m_unit));

    if (!m_values.isEmpty()) {
        p.drawText(QRect(0, plot.top() - lineH / 2, left - 4, lineH), Qt::AlignRight | Qt::AlignVCenter, QString::number(most));
        const double binW = double(plot.width()) / kBins;
        for (int b = 0; b < kBins; ++b) {
            if (m_counts.at(b) == 0)
                continue;
            const double h = std::max(1.0, double(plot.height()) * m_counts.at(b) / most);
            p.fillRect(QRectF(plot.left() + b * binW + 0.5, plot.bottom() - h, std::max(1.0, binW - 1.0), h), kBar);
        }
    }
    QPen dash(kLimit);
    dash.setStyle(Qt::DashLine);
    dash.setWidthF(1.5);
    p.setPen(dash);
    QStringList values;
    for (double l : m_limits) {
        p.drawLine(QPointF(xOf(l), plot.top()), QPointF(xOf(l), plot.bottom()));
        values << shortNumber(l);
    }
    if (!m_limits.isEmpty()) {
        const QString label = (m_limits.size() == 1 ? tr("- - limit %1") : tr("- - limits %1")).arg(values.join(QStringLiteral(", ")));
        p.setPen(kLimit.darker(120));
        p.drawText(QRect(4, 2 + lineH, width() - 8, lineH), Qt::AlignHCenter | Qt::AlignVCenter,
                   fm.elidedText(label, Qt::ElideRight, width() - 8));
    }
    if (m_values.isEmpty()) { // last: over the limit lines
        p.setPen(palette().placeholderText().color());
        // On a plain box, so the text never reads through a limit or grid line.
        const QRect inner = plot.adjusted(6, 0, -6, 0);
        QRect box = p.boundingRect(inner, Qt::AlignCenter | Qt::TextWordWrap, tr("no calls with a value yet")).adjusted(-3, -2, 3, 2);
        p.fillRect(box, palette().base());
        p.drawText(inner, Qt::AlignCenter | Qt::TextWordWrap, tr("no calls with a value yet"));
    }
}

} // namespace pacelab::ui

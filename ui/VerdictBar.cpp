#include "VerdictBar.h"

#include <QGridLayout>
#include <QLabel>
#include <QPushButton>
#include <QResizeEvent>

namespace pacelab::ui {

using check::LiveState;

namespace {
// The checklist's limits for the format (fps target 1000 / frameMs, frame size, queue bounds).
check::Thresholds thresholdsFor(const check::Thresholds &defaults, const MediaFormat &format)
{
    return defaults.forFormat(format);
}
} // namespace

VerdictBar::VerdictBar(QWidget *parent)
    : QWidget(parent)
{
    setObjectName(QStringLiteral("verdictBar"));
    m_grid = new QGridLayout(this);
    m_grid->setContentsMargins(0, 0, 0, 0);
    m_grid->setHorizontalSpacing(4);
    m_grid->setVerticalSpacing(2);
    for (int i = 0; i < 5; ++i) {
        auto *l = new QLabel(this);
        l->setObjectName(QStringLiteral("badge%1").arg(i));
        l->setWordWrap(true);
        l->setTextFormat(Qt::RichText);
        l->setMinimumWidth(100);
        QFont f = l->font();
        f.setPointSizeF(std::max(7.0, f.pointSizeF() - 1.0));
        l->setFont(f);
        l->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);
        m_labels << l;
    }
    m_bargeButton = new QPushButton(tr("Barge in now"), this);
    m_bargeButton->setObjectName(QStringLiteral("bargeInNow"));
    m_bargeButton->setToolTip(tr("The emulator speaks over the bot as a caller would (1.5 s); a good bot sends clear within 300 ms"));
    m_bargeButton->setAccessibleName(tr("Barge in now: speak over the bot"));
    connect(m_bargeButton, &QPushButton::clicked, this, &VerdictBar::bargeInRequested);
    reset();
}

void VerdictBar::reset()
{
    m_seconds.clear();
    m_barge = {};
    update();
}

void VerdictBar::addRx(const PerSecondRx &rx)
{
    m_seconds << rx;
    if (m_seconds.size() > 24 * 3600) // a day of seconds: keep memory bounded
        m_seconds.remove(0, m_seconds.size() - 24 * 3600);
    update();
}

void VerdictBar::setBargeIn(const check::LiveBargeIn &b)
{
    m_barge = b;
    update();
}

void VerdictBar::setBargeInAvailable(bool available, const QString &why)
{
    m_bargeButton->setEnabled(available);
    if (!available && !why.isEmpty())
        m_bargeButton->setToolTip(why);
}

void VerdictBar::setFormat(const MediaFormat &format)
{
    m_format = format;
    update();
}

void VerdictBar::setPeerName(const QString &peer)
{
    m_peer = peer;
    update();
}

QString VerdictBar::badgeText(const QString &key) const
{
    for (int i = 0; i < m_badges.size(); ++i)
        if (m_badges[i].key == key)
            return m_labels[i]->accessibleName();
    return {};
}

void VerdictBar::update()
{
    m_badges = check::liveVerdict(m_seconds, m_barge, thresholdsFor(check::Thresholds(), m_format));
    for (int i = 0; i < m_badges.size() && i < m_labels.size(); ++i) {
        const check::LiveBadge &b = m_badges[i];
        QString symbol, word, fg, bg;
        switch (b.state) {
        case LiveState::Waiting: symbol = QStringLiteral("…"); word = tr("waiting"); fg = QStringLiteral("#57606a"); bg = QStringLiteral("#f0f0f0"); break;
        case LiveState::Ok: symbol = QStringLiteral("✔"); word = tr("OK"); fg = QStringLiteral("#116329"); bg = QStringLiteral("#dafbe1"); break;
        case LiveState::Broken: symbol = QStringLiteral("✖"); word = tr("FAIL"); fg = QStringLiteral("#a40e26"); bg = QStringLiteral("#ffebe9"); break;
        }
        QLabel *l = m_labels[i];
        l->setText(QStringLiteral("<b>%1 %2 %3</b> %4").arg(symbol, b.name.toHtmlEscaped(), word, b.measured.toHtmlEscaped()));
        l->setStyleSheet(QStringLiteral("QLabel { color: %1; background: %2; border: 1px solid %1; border-radius: 3px; padding: 1px 4px; }").arg(fg, bg));
        l->setToolTip(tr("%1 at %2: %3 (limit %4)").arg(b.name, m_peer, b.measured, b.limit));
        l->setAccessibleName(QStringLiteral("%1: %2, %3 (limit %4)").arg(b.name, word, b.measured, b.limit));
    }
    relayout();
}

void VerdictBar::resizeEvent(QResizeEvent *event)
{
    QWidget::resizeEvent(event);
    relayout();
}

void VerdictBar::relayout()
{
    // As many badges per row as fit at ~140 px each (one row from ~850 px), the button last.
    const int cols = std::clamp(width() / 140, 2, 6);
    if (cols == m_cols && m_grid->count() == m_labels.size() + 1)
        return;
    m_cols = cols;
    for (QLabel *l : std::as_const(m_labels))
        m_grid->removeWidget(l);
    m_grid->removeWidget(m_bargeButton);
    int k = 0;
    for (QLabel *l : std::as_const(m_labels)) {
        m_grid->addWidget(l, k / cols, k % cols);
        ++k;
    }
    m_grid->addWidget(m_bargeButton, k / cols, k % cols);
}

} // namespace pacelab::ui

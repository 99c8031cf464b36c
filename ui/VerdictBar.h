#pragma once

#include "audio/MediaFormat.h"
#include "check/LiveVerdict.h"
#include "emulator/EmulatorTypes.h"

#include <QList>
#include <QWidget>

class QGridLayout;
class QLabel;
class QPushButton;

namespace pacelab::ui {

// What the audio does at Twilio, judged live: one badge per checklist criterion (pace, buffer,
// frames, schema, barge-in), red with the number the moment a limit is broken. The verdict is
// core's (check::liveVerdict); this only shows it. Text and symbol carry the state, colour
// only repeats it. "Barge in now" asks the emulator to speak over the bot.
class VerdictBar : public QWidget
{
    Q_OBJECT
public:
    explicit VerdictBar(QWidget *parent = nullptr);

    void reset(); // a new session
    void addRx(const pacelab::PerSecondRx &rx);
    void setBargeIn(const check::LiveBargeIn &b);
    void setBargeInAvailable(bool available, const QString &why = {});
    // Who is judged receiving the audio ("Vonage"): the tooltips say "Pace at Vonage: ...".
    void setPeerName(const QString &peer);
    // The provider's outbound format: pace is judged against 1000 / frameMs frames per second
    // where core's thresholds scale to a format (check::Thresholds::forFormat).
    void setFormat(const MediaFormat &format);
    QList<check::LiveBadge> badges() const { return m_badges; }
    QString badgeText(const QString &key) const;

Q_SIGNALS:
    void bargeInRequested();

protected:
    void resizeEvent(QResizeEvent *event) override;

private:
    void update();
    void relayout();

    QList<PerSecondRx> m_seconds;
    check::LiveBargeIn m_barge;
    QList<check::LiveBadge> m_badges;
    QList<QLabel *> m_labels;
    QPushButton *m_bargeButton = nullptr;
    QGridLayout *m_grid = nullptr;
    int m_cols = 0;
    QString m_peer = QStringLiteral("Twilio");
    MediaFormat m_format;
};

} // namespace pacelab::ui

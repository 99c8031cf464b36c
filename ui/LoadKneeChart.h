#pragma once

#include <QList>
#include <QWidget>

namespace pacelab::ui {

// The knee of a stepped load run: one bar per step, its height the % of calls failing, with
// the call count under it and "holds"/"breaks" over it (the verdict in words, not colour only).
class LoadKneeChart final : public QWidget
{
    Q_OBJECT
public:
    struct Step
    {
        int calls = 0;
        double failingPct = 0.0;
        bool holds = false;
    };
    explicit LoadKneeChart(QWidget *parent = nullptr);

    void setSteps(const QList<Step> &steps, int kneeAt);
    // Shown while there is no finished step ("run with steps to find the knee").
    void setPlaceholderText(const QString &text);
    QList<Step> steps() const { return m_steps; }

    QSize minimumSizeHint() const override { return {170, 130}; }
    QSize sizeHint() const override { return {260, 170}; }

protected:
    void paintEvent(QPaintEvent *event) override;

private:
    QList<Step> m_steps;
    int m_kneeAt = 0;
    QString m_placeholder;
};

} // namespace pacelab::ui

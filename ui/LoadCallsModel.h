#pragma once

#include "load/LoadTypes.h"

#include <QAbstractTableModel>
#include <QColor>
#include <QList>
#include <QSet>

namespace pacelab::ui {

// The calls of the current step as core sorted them (worst first); the view never re-sorts.
class LoadCallsModel final : public QAbstractTableModel
{
public:
    static QColor passColor() { return {0, 120, 70}; }
    static QColor failColor() { return {190, 60, 0}; }
    enum Column { Call, Verdict, FpsP1, Jitter, Buffered, Underruns, Mos, Reason, ColumnCount };
    using QAbstractTableModel::QAbstractTableModel;

    // measuring: calls not judged yet (LoadLiveModel::isMeasuring), shown as such.
    void setCalls(const QList<CallResult> &calls, const QSet<int> &measuring = {})
    {
        beginResetModel();
        m_calls = calls;
        m_measuring = measuring;
        endResetModel();
    }
    bool isMeasuring(int row) const { return row >= 0 && row < m_calls.size() && m_measuring.contains(m_calls.at(row).index); }
    const QList<CallResult> &calls() const { return m_calls; }
    int rowOfCall(int index) const
    {
        for (int r = 0; r < m_calls.size(); ++r)
            if (m_calls.at(r).index == index)
                return r;
        return -1;
    }

    int rowCount(const QModelIndex &parent = {}) const override { return parent.isValid() ? 0 : int(m_calls.size()); }
    int columnCount(const QModelIndex &parent = {}) const override { return parent.isValid() ? 0 : ColumnCount; }
    QVariant headerData(int section, Qt::Orientation o, int role) const override;
    QVariant data(const QModelIndex &index, int role) const override;

private:
    QList<CallResult> m_calls;
    QSet<int> m_measuring;
};

// A call's figures as the details pane shows them (rich text; PASS/FAIL in words).
QString callFiguresHtml(const CallResult &c, bool measuring = false);

} // namespace pacelab::ui

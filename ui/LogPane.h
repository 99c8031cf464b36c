#pragma once

#include <QElapsedTimer>
#include <QHash>
#include <QWidget>

class QPlainTextEdit;
class QComboBox;

namespace pacelab::ui {

// Time-stamped log of connection events, warnings and violations. A message repeating within
// 2 s is held back and counted, so a flood of identical warnings cannot drown the rest (or the
// UI thread).
class LogPane : public QWidget
{
    Q_OBJECT
public:
    explicit LogPane(QWidget *parent = nullptr);

    void append(const QString &level, const QString &text);
    QString plainText() const;
    int lineCount() const { return m_lines; }
    int suppressedCount() const { return m_suppressedTotal; }

private:
    struct Repeat
    {
        qint64 lastShownMs = 0;
        int suppressed = 0;
    };
    QPlainTextEdit *m_view;
    QComboBox *m_filter;
    QHash<QString, Repeat> m_repeats;
    QElapsedTimer m_clock;
    int m_lines = 0;
    int m_suppressedTotal = 0;
};

} // namespace pacelab::ui

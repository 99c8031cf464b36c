#pragma once

#include "audio/MediaFormat.h"


#include "audioio/FrameProducer.h"

#include <QPointer>
#include <QWidget>
#include <functional>
#include <map>

class QCheckBox;
class QComboBox;
class QDoubleSpinBox;
class QGridLayout;
class QLabel;
class QLineEdit;
class QPlainTextEdit;
class QProgressBar;
class QPushButton;
class QSettings;
class QSpinBox;

namespace pacelab {
class TxQueue;
}
namespace pacelab::audioio {
class MicrophoneCapture;
}

namespace pacelab::ui {

// The audio sources feeding the tx queue. Each runs its own FrameProducer thread (the UI thread
// never pushes a frame), several at once, all into the one queue.
class SourcesPanel : public QWidget
{
    Q_OBJECT
public:
    explicit SourcesPanel(TxQueue *queue, QWidget *parent = nullptr);
    ~SourcesPanel() override;

    // The session was replaced (another provider): every source and the microphone stop, then
    // feed `queue`. nullptr detaches (nothing starts until a queue is set again).
    void setQueue(TxQueue *queue);
    // The frames the queue wants (the provider's outbound format): sources started from now on
    // frame their audio in it, and "s queued" counts frames of its duration.
    void setFormat(const MediaFormat &format);
    MediaFormat format() const { return m_format; }

    // Keys: "silence", "tone", "dtmf", "sweep", "noise", "file", "tts".
    bool startSource(const QString &key);
    void stopSource(const QString &key);
    bool isRunning(const QString &key) const;
    int runningCount() const;
    void stopAll();
    void setBurst(bool on);
    bool burst() const;

    // Test hooks / demo settings.
    void setTone(double hz, double dbfs);
    void setFilePath(const QString &path, bool loop);
    void setTtsText(const QString &text);
    QString micUnavailableReason() const { return m_micReason; }
    bool micControlsEnabled() const;

    // Replaces the running count while sources are off for the mode ("" = normal summary).
    void setModeNote(const QString &note);
    QString summaryText() const;

    void saveSettings(QSettings &s) const;
    void loadSettings(const QSettings &s);

Q_SIGNALS:
    void logLine(const QString &level, const QString &text);
    void clearRequested();
    void runningChanged(int count);
    // "Bad-bot demo: bypass the clock": the window runs BadBotDemo in test-a-bot mode.
    void bypassDemoRequested();

private:
    struct Row
    {
        QPushButton *button = nullptr;
        QProgressBar *progress = nullptr;
        QLabel *info = nullptr;
        std::function<std::unique_ptr<audioio::PcmSource>(QString *error)> make;
        QPointer<audioio::FrameProducer> producer;
    };

    // Appends a row (and its progress bar below it) at the end of the grid.
    void addRow(QGridLayout *grid, const QString &key, const QString &label, QWidget *params,
                bool withProgress, std::function<std::unique_ptr<audioio::PcmSource>(QString *)> make);
    void onProducerFinished(const QString &key, const QString &reason, bool error);
    void setRowRunning(const QString &key, bool running);
    void toggleMic();
    void createMic();
    void initTtsVoices();
    void updateSummary();

    TxQueue *m_queue;
    std::map<QString, Row> m_rows;

    QDoubleSpinBox *m_toneHz = nullptr;
    QDoubleSpinBox *m_toneDb = nullptr;
    QLineEdit *m_dtmf = nullptr;
    QDoubleSpinBox *m_sweepFrom = nullptr;
    QDoubleSpinBox *m_sweepTo = nullptr;
    QDoubleSpinBox *m_sweepSec = nullptr;
    QDoubleSpinBox *m_noiseDb = nullptr;
    QLineEdit *m_filePath = nullptr;
    QCheckBox *m_fileLoop = nullptr;
    QPlainTextEdit *m_ttsText = nullptr;
    QComboBox *m_ttsVoice = nullptr;
    QSpinBox *m_ttsRate = nullptr;
    QCheckBox *m_burst = nullptr;
    QLabel *m_summary = nullptr;
    QString m_modeNote;
    MediaFormat m_format;

    QComboBox *m_micDevice = nullptr;
    QProgressBar *m_micLevel = nullptr;
    QPushButton *m_micButton = nullptr;
    QLabel *m_micInfo = nullptr;
    QString m_micReason;
    audioio::MicrophoneCapture *m_mic = nullptr;
};

} // namespace pacelab::ui

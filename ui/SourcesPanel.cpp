// The sources tab: one row per generator, file, TTS and microphone, each a producer thread into
// the session's queue. Over 500 lines because each kind of source has its own controls.
#include "SourcesPanel.h"

#include "FramerFormat.h"

#include "audio/SignalGenerator.h"
#include "audioio/AudioDevices.h"
#include "audioio/MicrophoneCapture.h"
#include "audioio/PcmSource.h"
#include "tts/EspeakTts.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFileDialog>
#include <QFileInfo>
#include <QGridLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QSettings>
#include <QSpinBox>
#include <QTimer>
#include <QToolButton>
#include <QVBoxLayout>

namespace pacelab::ui {

using audioio::BufferSource;
using audioio::FrameProducer;
using audioio::PcmSource;

namespace {
QDoubleSpinBox *spin(QWidget *parent, double lo, double hi, double value, int decimals, const QString &suffix,
                     double step = 1.0)
{
    auto *s = new QDoubleSpinBox(parent);
    s->setRange(lo, hi);
    s->setDecimals(decimals);
    s->setValue(value);
    s->setSuffix(suffix);
    s->setSingleStep(step);
    s->setKeyboardTracking(false);
    s->setMaximumWidth(104);
    return s;
}

QWidget *hbox(QWidget *parent, std::initializer_list<QWidget *> widgets)
{
    auto *w = new QWidget(parent);
    auto *l = new QHBoxLayout(w);
    l->setContentsMargins(0, 0, 0, 0);
    l->setSpacing(4);
    for (QWidget *x : widgets)
        l->addWidget(x);
    return w;
}

PcmBuffer mono8k(QVector<qint16> samples)
{
    PcmBuffer b;
    b.sampleRate = kTwilioRate;
    b.channels = 1;
    b.samples = std::move(samples);
    return b;
}
} // namespace

SourcesPanel::SourcesPanel(TxQueue *queue, QWidget *parent)
    : QWidget(parent)
    , m_queue(queue)
{
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);

    // Generators.
    auto *gen = new QGroupBox(tr("Test signals"), this);
    auto *g = new QGridLayout(gen);
    g->setColumnStretch(1, 1);
    addRow(g, QStringLiteral("silence"), tr("Silence"), new QLabel(tr("digital silence, endless"), gen), false,
           [](QString *) { return std::make_unique<audioio::SilenceSource>(); });

    m_toneHz = spin(gen, 20, 3900, 440, 0, tr(" Hz"), 10);
    m_toneDb = spin(gen, -60, 0, -12, 1, tr(" dBFS"));
    addRow(g, QStringLiteral("tone"), tr("Tone"), hbox(gen, {m_toneHz, m_toneDb}), false,
           [this](QString *) { return std::make_unique<audioio::ToneSource>(m_toneHz->value(), m_toneDb->value()); });

    m_dtmf = new QLineEdit(QStringLiteral("123#"), gen);
    m_dtmf->setPlaceholderText(tr("digits 0-9 * # A-D"));
    addRow(g, QStringLiteral("dtmf"), tr("DTMF"), m_dtmf, false, [this](QString *error) -> std::unique_ptr<PcmSource> {
        bool ok = true;
        const QString digits = m_dtmf->text().trimmed();
        if (digits.isEmpty()) {
            *error = tr("DTMF: enter some digits (0-9 * # A-D)");
            return nullptr;
        }
        QVector<qint16> pcm = signal::dtmf(kTwilioRate, digits, 100, 60, -10.0, &ok);
        if (!ok) {
            *error = tr("DTMF: '%1' has characters that are not DTMF digits (use 0-9 * # A-D)").arg(digits);
            return nullptr;
        }
        return std::make_unique<BufferSource>(tr("DTMF %1").arg(digits), BufferSource::fromBuffer(mono8k(pcm)));
    });

    m_sweepFrom = spin(gen, 20, 3900, 200, 0, tr(" Hz"), 50);
    m_sweepTo = spin(gen, 20, 3900, 3400, 0, tr(" Hz"), 50);
    m_sweepSec = spin(gen, 0.5, 600, 5, 1, tr(" s"));
    for (QDoubleSpinBox *sb : {m_sweepFrom, m_sweepTo, m_sweepSec})
        sb->setMaximumWidth(84);
    m_sweepFrom->setToolTip(tr("start frequency"));
    m_sweepTo->setToolTip(tr("end frequency"));
    m_sweepSec->setToolTip(tr("duration"));
    addRow(g, QStringLiteral("sweep"), tr("Sweep"), hbox(gen, {m_sweepFrom, m_sweepTo, m_sweepSec}), true,
           [this](QString *) {
               const QVector<qint16> pcm = signal::sweep(kTwilioRate, m_sweepSec->value(), m_sweepFrom->value(),
                                                         m_sweepTo->value(), -12.0);
               return std::make_unique<BufferSource>(tr("sweep"), BufferSource::fromBuffer(mono8k(pcm)));
           });

    m_noiseDb = spin(gen, -60, 0, -20, 1, tr(" dBFS"));
    addRow(g, QStringLiteral("noise"), tr("Noise"), m_noiseDb, false,
           [this](QString *) { return std::make_unique<audioio::NoiseSource>(m_noiseDb->value()); });
    layout->addWidget(gen);

    // Microphone.
    auto *micBox = new QGroupBox(tr("Microphone (real time, drop-oldest)"), this);
    auto *mg = new QGridLayout(micBox);
    mg->setColumnStretch(0, 1);
    m_micDevice = new QComboBox(micBox);
    m_micButton = new QPushButton(tr("Start"), micBox);
    m_micLevel = new QProgressBar(micBox);
    m_micLevel->setRange(-60, 0);
    m_micLevel->setValue(-60);
    m_micLevel->setFormat(tr("level %v dBFS"));
    m_micInfo = new QLabel(micBox);
    m_micInfo->setWordWrap(true);
    mg->addWidget(m_micDevice, 0, 0);
    mg->addWidget(m_micButton, 0, 1);
    mg->addWidget(m_micLevel, 1, 0, 1, 2);
    mg->addWidget(m_micInfo, 2, 0, 1, 2);
    const QList<QAudioDevice> inputs = audioio::inputDevices();
    for (const QAudioDevice &d : inputs)
        m_micDevice->addItem(audioio::describe(d), d.id());
    m_micReason = audioio::noInputReason();
    if (!m_micReason.isEmpty()) {
        m_micDevice->addItem(m_micReason);
        m_micDevice->setEnabled(false);
        m_micButton->setEnabled(false);
        m_micLevel->setEnabled(false);
        m_micInfo->setText(tr("⚠ %1 — the microphone source is unavailable; every other source works.").arg(m_micReason));
    } else {
        createMic();
        connect(m_micButton, &QPushButton::clicked, this, &SourcesPanel::toggleMic);
    }
    layout->addWidget(micBox);

    // File.
    auto *fileBox = new QGroupBox(tr("WAV or recorded call"), this);
    auto *fg = new QGridLayout(fileBox);
    fg->setColumnStretch(1, 1);
    m_filePath = new QLineEdit(fileBox);
    m_filePath->setPlaceholderText(tr("path to a .wav file"));
    auto *browse = new QToolButton(fileBox);
    browse->setText(QStringLiteral("…"));
    browse->setToolTip(tr("Choose a WAV file"));
    connect(browse, &QToolButton::clicked, this, [this] {
        const QString f = QFileDialog::getOpenFileName(this, tr("Audio file"), m_filePath->text(),
                                                       tr("WAV files (*.wav);;All files (*)"));
        if (!f.isEmpty())
            m_filePath->setText(f);
    });
    m_fileLoop = new QCheckBox(tr("loop"), fileBox);
    addRow(fg, QStringLiteral("file"), tr("File"), hbox(fileBox, {m_filePath, browse, m_fileLoop}), true,
           [this](QString *error) -> std::unique_ptr<PcmSource> {
               const QString path = m_filePath->text().trimmed();
               if (path.isEmpty()) {
                   *error = tr("File: choose a WAV file first");
                   return nullptr;
               }
               if (!QFileInfo(path).isFile()) {
                   *error = tr("File: %1 does not exist or is not a file").arg(path);
                   return nullptr;
               }
               return std::make_unique<BufferSource>(QFileInfo(path).fileName(), BufferSource::wavFile(path),
                                                     m_fileLoop->isChecked());
           });
    layout->addWidget(fileBox);

    // TTS.
    auto *ttsBox = new QGroupBox(tr("Text to speech (espeak-ng)"), this);
    auto *tg = new QGridLayout(ttsBox);
    tg->setColumnStretch(1, 1);
    m_ttsText = new QPlainTextEdit(ttsBox);
    m_ttsText->setPlainText(tr("Thank you for calling. This is a long answer from the voice bot, spoken by a "
                               "text to speech engine much faster than real time, so the queue must push back."));
    m_ttsText->setMaximumHeight(64);
    m_ttsVoice = new QComboBox(ttsBox);
    m_ttsVoice->setEditable(true);
    m_ttsVoice->addItem(QStringLiteral("en-us"));
    m_ttsRate = new QSpinBox(ttsBox);
    m_ttsRate->setRange(80, 450);
    m_ttsRate->setValue(175);
    m_ttsRate->setSuffix(tr(" wpm"));
    tg->addWidget(m_ttsText, 0, 0, 1, 3);
    addRow(tg, QStringLiteral("tts"), tr("Voice"), hbox(ttsBox, {m_ttsVoice, m_ttsRate}), true,
           [this](QString *error) -> std::unique_ptr<PcmSource> {
               const QString text = m_ttsText->toPlainText().trimmed();
               if (text.isEmpty()) {
                   *error = tr("TTS: type some text first");
                   return nullptr;
               }
               const QString voice = m_ttsVoice->currentText().trimmed();
               const int rate = m_ttsRate->value();
               // Synthesis runs on the producer thread (BufferSource::open), not here.
               auto maker = [text, voice, rate](PcmBuffer *pcm, QString *err) {
                   tts::EspeakTts tts;
                   if (!tts.initialize(err))
                       return false;
                   if (!voice.isEmpty() && !tts.setVoice(voice, err))
                       return false;
                   tts.setRate(rate);
                   std::vector<qint16> out;
                   if (!tts.synthesize(text, &out, err))
                       return false;
                   pcm->sampleRate = tts.sampleRate();
                   pcm->channels = 1;
                   pcm->samples = QVector<qint16>(out.begin(), out.end());
                   return true;
               };
               return std::make_unique<BufferSource>(tr("TTS"), maker);
           });
    layout->addWidget(ttsBox);

    // Policy and controls.
    m_burst = new QCheckBox(tr("Bad-bot demo: flood the queue"), this);
    m_burst->setToolTip(tr("Sources push 1 s of audio at once, 5x faster than real time, without waiting:\n"
                           "the queue overflows and drops its oldest frames."));
    // One line saying what the user is about to see, shown while the demo runs.
    auto *floodNote = new QLabel(tr("What you see: the producer ignores back-pressure, PaceLab's queue drops its oldest "
                                    "frames (Dropped frames chart, a warning in the log), and Twilio still gets a steady "
                                    "50 fps: the paced sender protects the call from a flooding producer."), this);
    floodNote->setWordWrap(true);
    floodNote->setObjectName(QStringLiteral("floodNote"));
    floodNote->setVisible(false);
    connect(m_burst, &QCheckBox::toggled, floodNote, &QWidget::setVisible);
    connect(m_burst, &QCheckBox::toggled, this, &SourcesPanel::setBurst);
    auto *stopAllBtn = new QPushButton(tr("Stop all"), this);
    connect(stopAllBtn, &QPushButton::clicked, this, &SourcesPanel::stopAll);
    auto *clearBtn = new QPushButton(tr("Clear (barge-in)"), this);
    clearBtn->setToolTip(tr("Empty the queue now and send Twilio's clear message"));
    connect(clearBtn, &QPushButton::clicked, this, &SourcesPanel::clearRequested);
    m_summary = new QLabel(this);
    layout->addWidget(m_burst);
    layout->addWidget(floodNote);
    auto *bypass = new QPushButton(tr("Bad-bot demo: bypass the clock"), this);
    bypass->setObjectName(QStringLiteral("bypassDemo"));
    bypass->setToolTip(tr("Switches to test-a-bot mode against a built-in bot that sends each frame the moment it is "
                          "queued, with no 20 ms clock"));
    connect(bypass, &QPushButton::clicked, this, &SourcesPanel::bypassDemoRequested);
    auto *bypassNote = new QLabel(tr("What you see: 8 s of speech reach Twilio in a burst, Buffered at Twilio jumps to "
                                     "seconds and the Pace and Buffer badges turn red; Barge in now leaves that stale "
                                     "speech playing."), this);
    bypassNote->setWordWrap(true);
    layout->addWidget(bypass);
    layout->addWidget(bypassNote);
    layout->addWidget(hbox(this, {stopAllBtn, clearBtn}));
    layout->addWidget(m_summary);
    layout->addStretch();
    updateSummary();
    m_toneHz->setAccessibleName(tr("Tone frequency"));
    m_toneDb->setAccessibleName(tr("Tone level"));
    m_noiseDb->setAccessibleName(tr("Noise level"));
    m_dtmf->setAccessibleName(tr("DTMF digits"));
    m_sweepFrom->setAccessibleName(tr("Sweep start frequency"));
    m_sweepTo->setAccessibleName(tr("Sweep end frequency"));
    m_sweepSec->setAccessibleName(tr("Sweep duration"));
    m_micDevice->setAccessibleName(tr("Microphone device"));
    m_filePath->setAccessibleName(tr("WAV file path"));
    m_ttsText->setAccessibleName(tr("Text to speak"));
    m_ttsVoice->setAccessibleName(tr("Voice"));
    m_ttsRate->setAccessibleName(tr("Speaking rate"));
    m_burst->setAccessibleName(tr("Bad-bot demo: flood the queue (ignore back-pressure)"));
    for (auto &[key, row] : m_rows)
        row.button->setAccessibleName(tr("Start or stop the %1 source").arg(key));
    QTimer::singleShot(0, this, &SourcesPanel::initTtsVoices);
}

void SourcesPanel::setFormat(const MediaFormat &format)
{
    m_format = format;
    if (m_mic && !m_mic->isActive())
        useFramerFormat(m_mic, m_format);
}

void SourcesPanel::createMic()
{
    m_mic = new audioio::MicrophoneCapture(m_queue, this);
    useFramerFormat(m_mic, m_format);
    connect(m_mic, &audioio::MicrophoneCapture::level, this, [this](double db) {
        m_micLevel->setValue(int(std::clamp(db, -60.0, 0.0)));
    });
    connect(m_mic, &audioio::MicrophoneCapture::errorOccurred, this, [this](const QString &e) {
        m_micInfo->setText(e);
        Q_EMIT logLine(QStringLiteral("error"), tr("Microphone: %1").arg(e));
    });
}

void SourcesPanel::setQueue(TxQueue *queue)
{
    // Producers and the microphone push into the old queue from their threads: they stop (and
    // their threads are joined) before anything points at the new one.
    stopAll();
    if (m_mic) {
        m_mic->stop();
        delete m_mic;
        m_mic = nullptr;
    }
    m_queue = queue;
    if (m_queue && m_micReason.isEmpty())
        createMic();
}

SourcesPanel::~SourcesPanel()
{
    stopAll();
    if (m_mic)
        m_mic->stop();
}

void SourcesPanel::addRow(QGridLayout *grid, const QString &key, const QString &label, QWidget *params,
                          bool withProgress, std::function<std::unique_ptr<PcmSource>(QString *)> make)
{
    Row rowData;
    rowData.make = std::move(make);
    rowData.button = new QPushButton(tr("Start"), params->parentWidget());
    rowData.button->setObjectName(QStringLiteral("start_") + key);
    rowData.button->setMinimumWidth(56);
    grid->addWidget(new QLabel(label, params->parentWidget()), grid->rowCount(), 0);
    const int at = grid->rowCount() - 1;
    grid->addWidget(params, at, 1);
    grid->addWidget(rowData.button, at, 2);
    if (withProgress) {
        rowData.progress = new QProgressBar(params->parentWidget());
        rowData.progress->setRange(0, 1000);
        rowData.progress->setValue(0);
        rowData.progress->setTextVisible(true);
        rowData.progress->setFormat(tr("idle"));
        rowData.progress->setMaximumHeight(16);
        grid->addWidget(rowData.progress, at + 1, 1, 1, 2);
    }
    connect(rowData.button, &QPushButton::clicked, this, [this, key] {
        if (isRunning(key))
            stopSource(key);
        else
            startSource(key);
    });
    m_rows.emplace(key, std::move(rowData));
}

bool SourcesPanel::startSource(const QString &key)
{
    auto it = m_rows.find(key);
    if (it == m_rows.end() || it->second.producer)
        return false;
    Row &row = it->second;
    if (!m_queue)
        return false; // between two sessions (the provider is being changed)
    QString error;
    std::unique_ptr<PcmSource> source = row.make(&error);
    if (!source) {
        Q_EMIT logLine(QStringLiteral("error"), error);
        if (row.progress)
            row.progress->setFormat(error);
        return false;
    }
    const auto policy = m_burst->isChecked() ? FrameProducer::Policy::Burst : FrameProducer::Policy::BackPressure;
    auto *producer = new FrameProducer(std::move(source), m_queue, policy, this);
    useFramerFormat(producer, m_format);
    row.producer = producer;
    connect(producer, &FrameProducer::progress, this, [this, key](double fraction, qint64 frames) {
        Row &rw = m_rows.at(key);
        if (rw.progress) {
            if (fraction >= 0) {
                rw.progress->setValue(int(fraction * 1000));
                rw.progress->setFormat(tr("%1 % — %2 s queued").arg(int(fraction * 100)).arg(frames * m_format.frameMs / 1000.0, 0, 'f', 1));
            } else {
                rw.progress->setFormat(tr("%1 s queued").arg(frames * m_format.frameMs / 1000.0, 0, 'f', 1));
            }
        }
        updateSummary();
    });
    connect(producer, &FrameProducer::finished, this, [this, key](const QString &reason, bool error) {
        onProducerFinished(key, reason, error);
    });
    producer->start();
    setRowRunning(key, true);
    if (row.progress) {
        row.progress->setValue(0);
        row.progress->setFormat(key == QLatin1String("tts") ? tr("synthesizing…") : tr("starting…"));
    }
    Q_EMIT logLine(QStringLiteral("info"), tr("Source started: %1 (%2)")
                                               .arg(producer->name(), m_burst->isChecked() ? tr("burst") : tr("back-pressure")));
    updateSummary();
    return true;
}

void SourcesPanel::stopSource(const QString &key)
{
    auto it = m_rows.find(key);
    if (it == m_rows.end() || !it->second.producer)
        return;
    FrameProducer *p = it->second.producer;
    it->second.producer = nullptr;
    p->disconnect(this);
    p->stop();
    Q_EMIT logLine(QStringLiteral("info"), tr("Source stopped: %1 after %2 frames").arg(p->name()).arg(p->framesPushed()));
    p->deleteLater();
    setRowRunning(key, false);
    if (it->second.progress)
        it->second.progress->setFormat(tr("stopped"));
    updateSummary();
}

void SourcesPanel::onProducerFinished(const QString &key, const QString &reason, bool error)
{
    auto it = m_rows.find(key);
    if (it == m_rows.end() || !it->second.producer)
        return;
    FrameProducer *p = it->second.producer;
    it->second.producer = nullptr;
    if (error)
        Q_EMIT logLine(QStringLiteral("error"), tr("Source %1 failed: %2").arg(p->name(), reason));
    else
        Q_EMIT logLine(QStringLiteral("info"), tr("Source %1 %2: %3 frames queued").arg(p->name(), reason).arg(p->framesPushed()));
    if (it->second.progress) {
        if (!error)
            it->second.progress->setValue(1000);
        it->second.progress->setFormat(error ? reason : tr("done — %1 s queued").arg(p->framesPushed() * m_format.frameMs / 1000.0, 0, 'f', 1));
    }
    p->deleteLater();
    setRowRunning(key, false);
    updateSummary();
}

void SourcesPanel::setRowRunning(const QString &key, bool running)
{
    Row &row = m_rows.at(key);
    row.button->setText(running ? tr("Stop") : tr("Start"));
}

bool SourcesPanel::isRunning(const QString &key) const
{
    auto it = m_rows.find(key);
    return it != m_rows.end() && it->second.producer;
}

int SourcesPanel::runningCount() const
{
    int n = 0;
    for (const auto &[k, row] : m_rows)
        n += row.producer ? 1 : 0;
    return n + (m_mic && m_mic->isActive() ? 1 : 0);
}

void SourcesPanel::stopAll()
{
    for (auto &[k, row] : m_rows)
        if (row.producer)
            stopSource(k);
    if (m_mic && m_mic->isActive())
        toggleMic();
}

void SourcesPanel::setBurst(bool on)
{
    if (m_burst->isChecked() != on)
        m_burst->setChecked(on); // re-enters through toggled()
    for (auto &[k, row] : m_rows)
        if (row.producer)
            row.producer->setPolicy(on ? FrameProducer::Policy::Burst : FrameProducer::Policy::BackPressure);
    updateSummary();
}

bool SourcesPanel::burst() const
{
    return m_burst->isChecked();
}

void SourcesPanel::setTone(double hz, double dbfs)
{
    m_toneHz->setValue(hz);
    m_toneDb->setValue(dbfs);
}

void SourcesPanel::setFilePath(const QString &path, bool loop)
{
    m_filePath->setText(path);
    m_fileLoop->setChecked(loop);
}

void SourcesPanel::setTtsText(const QString &text)
{
    m_ttsText->setPlainText(text);
}

bool SourcesPanel::micControlsEnabled() const
{
    return m_micButton->isEnabled();
}

void SourcesPanel::toggleMic()
{
    if (!m_mic)
        return;
    if (m_mic->isActive()) {
        m_mic->stop();
        m_micButton->setText(tr("Start"));
        m_micLevel->setValue(-60);
        Q_EMIT logLine(QStringLiteral("info"), tr("Microphone stopped after %1 frames").arg(m_mic->framesPushed()));
    } else {
        QString error;
        const QAudioDevice dev = audioio::findInput(m_micDevice->currentData().toByteArray());
        if (!m_mic->start(dev, &error)) {
            m_micInfo->setText(error);
            Q_EMIT logLine(QStringLiteral("error"), tr("Microphone: %1").arg(error));
            return;
        }
        m_micButton->setText(tr("Stop"));
        m_micInfo->setText(tr("Capturing from %1").arg(audioio::describe(dev)));
        Q_EMIT logLine(QStringLiteral("info"), tr("Microphone started: %1").arg(audioio::describe(dev)));
    }
    updateSummary();
}

void SourcesPanel::initTtsVoices()
{
    tts::EspeakTts tts;
    QString error;
    if (!tts.initialize(&error)) {
        m_rows.at(QStringLiteral("tts")).button->setEnabled(false);
        m_rows.at(QStringLiteral("tts")).progress->setFormat(tr("TTS unavailable: %1").arg(error));
        Q_EMIT logLine(QStringLiteral("warning"), tr("Text to speech unavailable: %1").arg(error));
        return;
    }
    const QString current = m_ttsVoice->currentText();
    const QStringList voices = tts.voices();
    if (voices.isEmpty())
        return;
    m_ttsVoice->clear();
    m_ttsVoice->addItems(voices);
    m_ttsVoice->setCurrentText(current.isEmpty() ? QStringLiteral("en-us") : current);
}

void SourcesPanel::setModeNote(const QString &note)
{
    m_modeNote = note;
    updateSummary();
}

QString SourcesPanel::summaryText() const
{
    return m_summary->text();
}

void SourcesPanel::updateSummary()
{
    const int n = runningCount();
    Q_EMIT runningChanged(n);
    if (!m_modeNote.isEmpty()) {
        m_summary->setText(m_modeNote);
        return;
    }
    m_summary->setText(n == 0 ? tr("No source running.")
                              : tr("%n source(s) running, %1.", nullptr, n)
                                    .arg(m_burst->isChecked() ? tr("bursting without back-pressure")
                                                              : tr("paced by the queue's back-pressure")));
}

void SourcesPanel::saveSettings(QSettings &s) const
{
    s.beginGroup(QStringLiteral("sources"));
    s.setValue(QStringLiteral("toneHz"), m_toneHz->value());
    s.setValue(QStringLiteral("toneDb"), m_toneDb->value());
    s.setValue(QStringLiteral("dtmf"), m_dtmf->text());
    s.setValue(QStringLiteral("sweepFrom"), m_sweepFrom->value());
    s.setValue(QStringLiteral("sweepTo"), m_sweepTo->value());
    s.setValue(QStringLiteral("sweepSec"), m_sweepSec->value());
    s.setValue(QStringLiteral("noiseDb"), m_noiseDb->value());
    s.setValue(QStringLiteral("file"), m_filePath->text());
    s.setValue(QStringLiteral("fileLoop"), m_fileLoop->isChecked());
    s.setValue(QStringLiteral("ttsText"), m_ttsText->toPlainText());
    s.setValue(QStringLiteral("ttsVoice"), m_ttsVoice->currentText());
    s.setValue(QStringLiteral("ttsRate"), m_ttsRate->value());
    s.setValue(QStringLiteral("micDevice"), m_micDevice->currentData());
    s.endGroup();
}

void SourcesPanel::loadSettings(const QSettings &s)
{
    auto v = [&s](const char *key) { return s.value(QStringLiteral("sources/") + QLatin1String(key)); };
    if (v("toneHz").isValid())
        m_toneHz->setValue(v("toneHz").toDouble());
    if (v("toneDb").isValid())
        m_toneDb->setValue(v("toneDb").toDouble());
    if (v("dtmf").isValid())
        m_dtmf->setText(v("dtmf").toString());
    if (v("sweepFrom").isValid())
        m_sweepFrom->setValue(v("sweepFrom").toDouble());
    if (v("sweepTo").isValid())
        m_sweepTo->setValue(v("sweepTo").toDouble());
    if (v("sweepSec").isValid())
        m_sweepSec->setValue(v("sweepSec").toDouble());
    if (v("noiseDb").isValid())
        m_noiseDb->setValue(v("noiseDb").toDouble());
    m_filePath->setText(v("file").toString());
    m_fileLoop->setChecked(v("fileLoop").toBool());
    if (v("ttsText").isValid())
        m_ttsText->setPlainText(v("ttsText").toString());
    if (v("ttsVoice").isValid())
        m_ttsVoice->setCurrentText(v("ttsVoice").toString());
    if (v("ttsRate").isValid())
        m_ttsRate->setValue(v("ttsRate").toInt());
    const int idx = m_micDevice->findData(v("micDevice"));
    if (idx >= 0)
        m_micDevice->setCurrentIndex(idx);
}

} // namespace pacelab::ui

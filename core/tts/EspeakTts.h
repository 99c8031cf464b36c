#pragma once

#include <QString>
#include <QStringList>
#include <QtGlobal>

#include <functional>
#include <vector>

// Text-to-speech through libespeak-ng, producing PCM16 mono at espeak's native rate (22050 Hz).
//
// espeak-ng keeps all of its state in process globals and is not thread-safe. Every EspeakTts
// shares one engine: it is initialised once per process (the first initialize() that succeeds)
// and every call into espeak runs under one global mutex, so instances in different threads
// take turns. Each instance keeps its own voice and rate and applies them before each synthesis.
// A sink called during synthesis must not call back into any EspeakTts (that is refused).
namespace pacelab::tts {

class EspeakTts
{
public:
    // Receives each chunk as espeak produces it (typically ~60 ms of audio). Return false to
    // stop the synthesis early.
    using ChunkSink = std::function<bool(const qint16 *samples, int count)>;

    EspeakTts();

    // Directory that holds espeak-ng-data (or is it). Only used if the shared engine is not yet
    // initialised; empty = espeak's own search (ESPEAK_DATA_PATH, then the system location).
    void setDataPath(const QString &path) { m_dataPath = path; }

    // Initialises the shared engine if needed. False with a clear message when the voice data
    // (Debian package espeak-ng-data) cannot be found or espeak fails to start.
    bool initialize(QString *error);
    bool isInitialized() const;

    // Language codes usable with setVoice ("en", "en-us", "de", ...), sorted. Empty before
    // initialize().
    QStringList voices();
    // A language code from voices(), an espeak voice name ("English_(America)") or a variant
    // ("en-us+f3"). False with a message if espeak does not know it; the previous voice stays.
    bool setVoice(const QString &name, QString *error);
    QString voice() const { return m_voice; }
    // Speaking rate in words per minute, clamped to espeak's 80..450 (default 175).
    void setRate(int wordsPerMinute);
    int rate() const { return m_rate; }
    // 22050 once initialised, 0 before.
    int sampleRate() const;

    // Whole text to PCM16 mono at sampleRate(). Empty text gives no samples and succeeds.
    bool synthesize(const QString &text, std::vector<qint16> *pcm, QString *error);
    // Same audio, handed to `sink` chunk by chunk as espeak produces it, so a producer can feed
    // a queue while synthesis runs. False if synthesis failed or the sink stopped it (the error
    // then says "aborted").
    bool synthesizeStreaming(const QString &text, const ChunkSink &sink, QString *error);

private:
    QString m_dataPath;
    QString m_voice = QStringLiteral("en-us");
    int m_rate = 175;
};

} // namespace pacelab::tts

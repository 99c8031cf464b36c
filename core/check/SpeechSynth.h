#pragma once

#include <QString>
#include <QtGlobal>

#include <functional>
#include <memory>

// Text-to-speech as the checklist needs it (E2, E3 and the reference bot). pacelab_core must
// not link libespeak-ng, so whoever runs the checklist hands in a factory; the CLI, the GUI and
// the tests wrap pacelab::tts::EspeakTts with SpeechSynthAdapter:
//   runner.setSpeechSynthFactory([] {
//       return std::make_unique<check::SpeechSynthAdapter<tts::EspeakTts>>(); });
namespace pacelab::check {

class SpeechSynth
{
public:
    using ChunkSink = std::function<bool(const qint16 *samples, int count)>;

    virtual ~SpeechSynth() = default;
    virtual bool initialize(QString *error) = 0;
    virtual int sampleRate() const = 0; // mono PCM16, valid after initialize()
    // Hands the audio to `sink` as it is produced; the sink returns false to stop early.
    virtual bool synthesizeStreaming(const QString &text, const ChunkSink &sink, QString *error) = 0;
};

using SpeechSynthFactory = std::function<std::unique_ptr<SpeechSynth>()>;

// Forwards to any engine with EspeakTts's shape (initialize, sampleRate, synthesizeStreaming).
template <class Tts>
class SpeechSynthAdapter final : public SpeechSynth
{
public:
    bool initialize(QString *error) override { return m_tts.initialize(error); }
    int sampleRate() const override { return m_tts.sampleRate(); }
    bool synthesizeStreaming(const QString &text, const ChunkSink &sink, QString *error) override
    {
        return m_tts.synthesizeStreaming(text, sink, error);
    }
    Tts &engine() { return m_tts; }

private:
    Tts m_tts;
};

} // namespace pacelab::check

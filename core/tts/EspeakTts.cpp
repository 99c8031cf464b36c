#include "EspeakTts.h"

#include <QDir>
#include <QFileInfo>

#include <espeak-ng/espeak_ng.h>
#include <espeak-ng/speak_lib.h>

#include <algorithm>
#include <mutex>

namespace pacelab::tts {

namespace {

// The one engine of the process. All fields are guarded by g_mutex.
std::mutex g_mutex;
bool g_initialized = false;
int g_sampleRate = 0;
// The voice espeak has loaded now; loading one reads files, so skip it when unchanged.
QString g_loadedVoice;

// Where the synth callback sends audio during the current (synchronous) synthesis.
struct ActiveSynthesis
{
    const EspeakTts::ChunkSink *sink = nullptr;
    bool aborted = false;
};
ActiveSynthesis *g_active = nullptr;

// Set while this thread is inside a synthesis: a sink calling back would deadlock on g_mutex.
thread_local bool t_inSynthesis = false;

QString statusText(espeak_ng_STATUS status)
{
    char buf[256] = {};
    espeak_ng_GetStatusCodeMessage(status, buf, sizeof(buf));
    return QString::fromLocal8Bit(buf);
}

int synthCallback(short *wav, int count, espeak_EVENT *)
{
    // Called by espeak inside espeak_ng_Synthesize, i.e. with g_mutex held by the caller.
    if (!g_active || !wav || count <= 0)
        return 0; // wav == nullptr marks the end; count 0 is legal and means nothing yet
    if (!(*g_active->sink)(reinterpret_cast<const qint16 *>(wav), count)) {
        g_active->aborted = true;
        return 1;
    }
    return 0;
}

bool setError(QString *error, const QString &text)
{
    if (error)
        *error = text;
    return false;
}

// Must hold g_mutex.
bool initializeLocked(const QString &dataPath, QString *error)
{
    if (g_initialized)
        return true;
    const QByteArray path = QFile::encodeName(dataPath);
    espeak_ng_InitializePath(dataPath.isEmpty() ? nullptr : path.constData());

    // espeak resolves the path itself (argument, ESPEAK_DATA_PATH, system default); check the
    // result before initialising so a missing package gives a message that says what to do.
    const char *resolved = nullptr;
    espeak_Info(&resolved);
    const QString dataDir = resolved ? QFile::decodeName(resolved) : QString();
    if (dataDir.isEmpty() || !QFileInfo::exists(dataDir + QStringLiteral("/phontab"))) {
        return setError(error, QStringLiteral("espeak-ng voice data not found (looked for phontab in '%1'): install the "
                                              "Debian package espeak-ng-data, or point ESPEAK_DATA_PATH at the "
                                              "directory that holds espeak-ng-data")
                                   .arg(QDir::toNativeSeparators(dataDir)));
    }

    espeak_ng_ERROR_CONTEXT context = nullptr;
    espeak_ng_STATUS status = espeak_ng_Initialize(&context);
    espeak_ng_ClearErrorContext(&context);
    if (status != ENS_OK)
        return setError(error, QStringLiteral("espeak-ng failed to initialise with data in '%1': %2")
                                   .arg(QDir::toNativeSeparators(dataDir), statusText(status)));
    // Synchronous: espeak_ng_Synthesize returns when the whole text is done, calling the
    // callback from the calling thread (no espeak-owned thread, no audio device).
    status = espeak_ng_InitializeOutput(ENOUTPUT_MODE_SYNCHRONOUS, 0, nullptr);
    if (status != ENS_OK)
        return setError(error, QStringLiteral("espeak-ng output setup failed: %1").arg(statusText(status)));
    espeak_SetSynthCallback(synthCallback);
    g_sampleRate = espeak_ng_GetSampleRate();
    if (g_sampleRate <= 0)
        return setError(error, QStringLiteral("espeak-ng reported an invalid sample rate (%1)").arg(g_sampleRate));
    g_initialized = true;
    return true;
}

} // namespace

EspeakTts::EspeakTts() = default;

bool EspeakTts::initialize(QString *error)
{
    if (t_inSynthesis)
        return setError(error, QStringLiteral("EspeakTts called from inside a synthesis sink"));
    std::lock_guard lock(g_mutex);
    return initializeLocked(m_dataPath, error);
}

bool EspeakTts::isInitialized() const
{
    if (t_inSynthesis)
        return true; // only reachable from a sink, so the engine is up
    std::lock_guard lock(g_mutex);
    return g_initialized;
}

QStringList EspeakTts::voices()
{
    if (t_inSynthesis)
        return {};
    std::lock_guard lock(g_mutex);
    if (!g_initialized)
        return {};
    QStringList out;
    const espeak_VOICE **list = espeak_ListVoices(nullptr);
    for (int i = 0; list && list[i]; ++i) {
        // languages: a priority byte, then a NUL-terminated name, repeated; ends with an empty name.
        const char *lang = list[i]->languages;
        while (lang && lang[0] != 0 && lang[1] != 0) {
            out << QString::fromUtf8(lang + 1);
            lang += 1 + qstrlen(lang + 1) + 1;
        }
    }
    out.removeDuplicates();
    std::sort(out.begin(), out.end());
    return out;
}

bool EspeakTts::setVoice(const QString &name, QString *error)
{
    if (name.trimmed().isEmpty())
        return setError(error, QStringLiteral("empty voice name"));
    if (t_inSynthesis)
        return setError(error, QStringLiteral("EspeakTts called from inside a synthesis sink"));
    std::lock_guard lock(g_mutex);
    if (!initializeLocked(m_dataPath, error))
        return false;
    // Try it now so a bad name fails here, not at the next synthesis.
    const espeak_ng_STATUS status = espeak_ng_SetVoiceByName(name.toUtf8().constData());
    if (status != ENS_OK) {
        g_loadedVoice.clear(); // unknown state after a failed load
        return setError(error, QStringLiteral("unknown espeak-ng voice '%1' (%2); try a language code such as "
                                              "'en-us' or 'de' (see voices())")
                                   .arg(name, statusText(status)));
    }
    g_loadedVoice = name;
    m_voice = name;
    return true;
}

void EspeakTts::setRate(int wordsPerMinute)
{
    m_rate = std::clamp(wordsPerMinute, int(espeakRATE_MINIMUM), int(espeakRATE_MAXIMUM));
}

int EspeakTts::sampleRate() const
{
    if (t_inSynthesis)
        return g_sampleRate;
    std::lock_guard lock(g_mutex);
    return g_sampleRate;
}

bool EspeakTts::synthesize(const QString &text, std::vector<qint16> *pcm, QString *error)
{
    pcm->clear();
    return synthesizeStreaming(
        text,
        [pcm](const qint16 *samples, int count) {
            pcm->insert(pcm->end(), samples, samples + count);
            return true;
        },
        error);
}

bool EspeakTts::synthesizeStreaming(const QString &text, const ChunkSink &sink, QString *error)
{
    if (t_inSynthesis)
        return setError(error, QStringLiteral("EspeakTts called from inside a synthesis sink"));
    if (!sink)
        return setError(error, QStringLiteral("no sink given for the synthesized audio"));
    std::lock_guard lock(g_mutex);
    if (!initializeLocked(m_dataPath, error))
        return false;

    // The engine is shared: put this instance's voice and rate in place for this text.
    espeak_ng_STATUS status = ENS_OK;
    if (g_loadedVoice != m_voice) {
        g_loadedVoice.clear();
        status = espeak_ng_SetVoiceByName(m_voice.toUtf8().constData());
        if (status != ENS_OK)
            return setError(error, QStringLiteral("espeak-ng voice '%1': %2").arg(m_voice, statusText(status)));
        g_loadedVoice = m_voice;
    }
    status = espeak_ng_SetParameter(espeakRATE, m_rate, 0);
    if (status != ENS_OK)
        return setError(error, QStringLiteral("espeak-ng rate %1: %2").arg(m_rate).arg(statusText(status)));

    if (text.trimmed().isEmpty())
        return true;
    const QByteArray utf8 = text.toUtf8(); // NUL-terminated; size includes the terminator

    ActiveSynthesis active;
    active.sink = &sink;
    g_active = &active;
    t_inSynthesis = true;
    status = espeak_ng_Synthesize(utf8.constData(), size_t(utf8.size()) + 1, 0, POS_CHARACTER, 0, espeakCHARS_UTF8,
                                  nullptr, nullptr);
    t_inSynthesis = false;
    g_active = nullptr;

    if (active.aborted)
        return setError(error, QStringLiteral("synthesis aborted by the consumer"));
    if (status != ENS_OK)
        return setError(error, QStringLiteral("espeak-ng synthesis failed: %1").arg(statusText(status)));
    return true;
}

} // namespace pacelab::tts

#pragma once

#include <QString>
#include <QVector>

namespace pacelab::signal {

// Test signals as mono PCM16 at the given rate. Levels are dBFS (0 dBFS = full-scale sine peak).
QVector<qint16> silence(int sampleRate, double seconds);
QVector<qint16> sine(int sampleRate, double seconds, double freqHz, double levelDbfs = -12.0);
// DTMF: each digit a tone pair for toneMs, then gapMs of silence. Unknown digits are skipped
// (valid: 0-9 * # A-D); *ok reports whether all were valid.
QVector<qint16> dtmf(int sampleRate, const QString &digits, int toneMs = 100, int gapMs = 60,
                     double levelDbfs = -10.0, bool *ok = nullptr);
QVector<qint16> sweep(int sampleRate, double seconds, double startHz, double endHz, double levelDbfs = -12.0);
QVector<qint16> whiteNoise(int sampleRate, double seconds, double levelDbfs = -20.0, quint32 seed = 1);

// Stateful sine for endless sources (keeps phase across chunks).
class SineSource
{
public:
    SineSource(int sampleRate, double freqHz, double levelDbfs);
    QVector<qint16> next(qsizetype samples);
private:
    int m_rate;
    double m_freq;
    double m_amp;
    double m_phase = 0.0;
};

} // namespace pacelab::signal

#pragma once

#include "audio/AudioFormat.h"

#include <QString>
#include <QVector>
#include <functional>

namespace pacelab::audioio {

// Audio for a FrameProducer, pulled on the producer's thread (never the UI's), at the source's
// own rate; the producer resamples and cuts it into frames of the sender's format. The
// generated sources (silence, tone, noise) take the rate to generate at: the format's, so no
// resampling is needed (8 kHz by default).
class PcmSource
{
public:
    virtual ~PcmSource();
    virtual QString name() const = 0;
    // Heavy preparation (read a file, synthesize speech) happens here, on the producer thread.
    virtual bool open(QString *error);
    virtual int sampleRate() const = 0;
    virtual int channels() const { return 1; }
    // Appends up to `frames` sample frames to `out`; returns how many; 0 = the end.
    virtual qsizetype read(QVector<qint16> &out, qsizetype frames) = 0;
    // 0..1 for finite sources, -1 for endless ones.
    virtual double progress() const { return -1.0; }
};

class SilenceSource final : public PcmSource
{
public:
    explicit SilenceSource(int sampleRate = kTwilioRate) : m_rate(sampleRate) {}
    QString name() const override;
    int sampleRate() const override { return m_rate; }
    qsizetype read(QVector<qint16> &out, qsizetype frames) override;

private:
    int m_rate;
};

class ToneSource final : public PcmSource
{
public:
    // freqHz is kept below the rate's Nyquist frequency.
    ToneSource(double freqHz, double levelDbfs, int sampleRate = kTwilioRate);
    QString name() const override;
    int sampleRate() const override { return m_rate; }
    qsizetype read(QVector<qint16> &out, qsizetype frames) override;

private:
    int m_rate;
    double m_freq;
    double m_level;
    double m_phase = 0.0;
    double m_amp;
};

class NoiseSource final : public PcmSource
{
public:
    explicit NoiseSource(double levelDbfs, int sampleRate = kTwilioRate);
    QString name() const override;
    int sampleRate() const override { return m_rate; }
    qsizetype read(QVector<qint16> &out, qsizetype frames) override;

private:
    int m_rate;
    double m_level;
    quint32 m_state = 0x12345678u;
    double m_amp;
};

// A finite buffer made by `make` when opened (a WAV file, TTS speech, a DTMF string, a sweep),
// optionally looped.
class BufferSource final : public PcmSource
{
public:
    using Maker = std::function<bool(PcmBuffer *pcm, QString *error)>;
    BufferSource(QString name, Maker make, bool loop = false);
    QString name() const override { return m_name; }
    bool open(QString *error) override;
    int sampleRate() const override { return m_pcm.sampleRate; }
    int channels() const override { return m_pcm.channels; }
    qsizetype read(QVector<qint16> &out, qsizetype frames) override;
    double progress() const override;
    int loops() const { return m_loops; }

    // Ready-made makers.
    static Maker wavFile(const QString &path);
    static Maker fromBuffer(PcmBuffer pcm);

private:
    QString m_name;
    Maker m_make;
    bool m_loop;
    PcmBuffer m_pcm;
    qsizetype m_pos = 0; // in sample frames
    int m_loops = 0;
};

} // namespace pacelab::audioio

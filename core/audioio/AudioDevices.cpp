#include "AudioDevices.h"

#include <QMediaDevices>

namespace pacelab::audioio {

QList<QAudioDevice> inputDevices()
{
    return QMediaDevices::audioInputs();
}

QList<QAudioDevice> outputDevices()
{
    return QMediaDevices::audioOutputs();
}

QString noInputReason()
{
    return inputDevices().isEmpty() ? QStringLiteral("No audio input device found") : QString();
}

QString noOutputReason()
{
    return outputDevices().isEmpty() ? QStringLiteral("No audio output device found") : QString();
}

QAudioDevice findInput(const QByteArray &id)
{
    for (const QAudioDevice &d : inputDevices())
        if (d.id() == id)
            return d;
    return QMediaDevices::defaultAudioInput();
}

QAudioDevice findOutput(const QByteArray &id)
{
    for (const QAudioDevice &d : outputDevices())
        if (d.id() == id)
            return d;
    return QMediaDevices::defaultAudioOutput();
}

QString describe(const QAudioDevice &device)
{
    if (device.isNull())
        return QStringLiteral("(no device)");
    const QAudioFormat f = device.preferredFormat();
    return QStringLiteral("%1 (%2 Hz, %3 ch)").arg(device.description()).arg(f.sampleRate()).arg(f.channelCount());
}

} // namespace pacelab::audioio

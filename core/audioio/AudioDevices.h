#pragma once

#include <QAudioDevice>
#include <QList>
#include <QString>

namespace pacelab::audioio {

// Device enumeration with a plain answer for the machine without audio hardware (servers, CI,
// containers): an empty list and a reason the UI shows next to the disabled controls.
QList<QAudioDevice> inputDevices();
QList<QAudioDevice> outputDevices();
// "" when at least one device exists, else "No audio input device found" / "... output ...".
QString noInputReason();
QString noOutputReason();
// The device with this id, else the system default (which may be null: check isNull()).
QAudioDevice findInput(const QByteArray &id);
QAudioDevice findOutput(const QByteArray &id);
// "Built-in Microphone (48000 Hz, 2 ch)".
QString describe(const QAudioDevice &device);

} // namespace pacelab::audioio

#pragma once

#include "emulator/TwilioEmulator.h"
#include "engine/SenderConfig.h"

#include <QJsonObject>
#include <QList>
#include <QString>

#include <functional>

class QSettings;

namespace pacelab {

// Everything a Session is told: the sender engine's settings, the built-in emulator's settings
// and the capture file. validate() is the one place their values are checked; the command line
// (app/SessionOptions), the GUI's Settings dialog and the check scenarios all go through it.
struct SessionConfig
{
    SenderConfig sender;
    EmulatorOptions emulator; // used when the session starts its emulator
    // Record every message the sender writes or reads, and each telemetry second (both sides),
    // to this capture file (docs/capture-format.md). Empty = no capture.
    QString capturePath;
    QJsonObject captureHeader; // extra header fields of the capture ("tool", "source", ...)

    // "" when every value is usable, else one specific message for the first bad value.
    // *badKey (optional) gets the key (see sessionSettings()) of the setting at fault, when the
    // fault is one of those settings; else it is cleared.
    QString validate(QString *badKey = nullptr) const;

    // One provider for both ends: the sender's and the emulator's protocol, and the sender's
    // frame interval from the profile's frame duration.
    void setProvider(provider::Id id);
    provider::Id provider() const { return sender.provider; }
};

// One user-facing setting of SessionConfig. The same table drives the command-line options
// (--KEY VALUE), the QSettings keys ("session/KEY") and the rows of the GUI's Settings dialog, so
// a setting added here is reachable everywhere at once. Values are whole numbers in `unit`.
struct SessionSetting
{
    enum class Kind { Int, Bool };
    enum class Group { Sender, Emulator };
    QString key;   // "high-water": the option name and the settings key
    Group group = Group::Sender;
    Kind kind = Kind::Int;
    QString label; // "High-water mark"
    QString unit;  // "frames", "ms", "bytes"; empty for counts and switches
    QString help;  // one sentence: what it does
    std::function<qint64(const SessionConfig &)> get;
    std::function<void(SessionConfig &, qint64)> set;
};

const QList<SessionSetting> &sessionSettings();
const SessionSetting *findSessionSetting(const QString &key);

// The settings under "session/KEY" (the GUI remembers them there). Loading starts from *cfg;
// keys absent keep its values. A value that is not a number, or a result validate() refuses,
// leaves *cfg as it was and returns the message (a hand-edited file must not break the app).
QString loadSessionSettings(QSettings &settings, SessionConfig *cfg);
void saveSessionSettings(QSettings &settings, const SessionConfig &cfg);

} // namespace pacelab

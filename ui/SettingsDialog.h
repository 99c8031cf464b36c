#pragma once

#include "session/SessionConfig.h"

#include <QDialog>
#include <QMap>

class QLabel;
class QSettings;

namespace pacelab::ui {

// Every engine and emulator setting of the session (one row per entry of sessionSettings()),
// remembered in QSettings under "session/KEY". OK checks the values with
// SessionConfig::validate() — the same check the command line uses — and refuses a bad value
// with its message, the field at fault focused; nothing is saved until all are valid.
// The live session reads them when PaceLab starts (its engine, and so the producers' queue,
// lives as long as the window).
class SettingsDialog : public QDialog
{
    Q_OBJECT
public:
    explicit SettingsDialog(QWidget *parent = nullptr);

    SessionConfig config() const; // what the fields say now
    QString errorText() const;    // the message shown after a refused OK, else ""
    QWidget *field(const QString &key) const { return m_fields.value(key); }
    // Validates; when valid, saves to settings and returns true, else shows the message.
    bool apply(QSettings &settings);

    void accept() override;

private:
    void showConfig(const SessionConfig &cfg);

    QMap<QString, QWidget *> m_fields; // key -> QSpinBox or QCheckBox
    QLabel *m_error = nullptr;
};

} // namespace pacelab::ui

#pragma once

#include "provider/Provider.h"

#include <QWidget>

class QComboBox;
class QLabel;
class QSettings;

namespace pacelab::ui {

// The one provider selector of the window (issue 15): which media-stream protocol the live
// session, the checklist and the Load page speak. Lists provider::allIds() with each profile's
// display name and shows, next to it, what the profile means for the audio on the wire
// ("16 kHz L16, 20 ms frames (640 B), binary"). Renders only: the facts come from the profiles.
// Remembered in QSettings "session/provider" (the --provider value, "twilio"...).
class ProviderSelector : public QWidget
{
    Q_OBJECT
public:
    explicit ProviderSelector(QWidget *parent = nullptr);

    provider::Id provider() const;
    // Selects id; emits providerChanged only when it differs from the current one.
    void setProvider(provider::Id id);
    QComboBox *comboBox() const { return m_combo; }
    QString descriptionText() const;

    // "Vonage": the --provider name capitalised (display names are long: "Twilio Media Streams").
    static QString shortName(provider::Id id);
    // What the profile sends: "16 kHz L16, 20 ms frames (640 B), binary".
    static QString wireText(provider::Id id);
    // "Vonage: 16 kHz L16, 20 ms frames (640 B), binary".
    static QString describe(provider::Id id);
    // The short form for the status bar: "Vonage (16 kHz L16, 20 ms, binary)".
    static QString compactText(provider::Id id);

    // The remembered provider ("session/provider"). Absent -> Twilio, no message. A value that
    // names no provider -> Twilio and *problem says so (a hand-edited file must not break the app).
    static provider::Id loadSaved(const QSettings &settings, QString *problem);
    static void save(QSettings &settings, provider::Id id);
    static QString settingsKey();

Q_SIGNALS:
    void providerChanged(pacelab::provider::Id id);

private:
    void showDescription();

    QComboBox *m_combo = nullptr;
    QLabel *m_description = nullptr;
};

} // namespace pacelab::ui

#pragma once

#include "SessionController.h"

#include <QWidget>

class QComboBox;
class QLabel;
class QLineEdit;
class QPlainTextEdit;
class QPushButton;
class QSettings;
class QSpinBox;
class QStackedWidget;

namespace pacelab::ui {

// Mode, its parameters, connect/disconnect, and the state and errors in plain words.
class ConnectionPanel : public QWidget
{
    Q_OBJECT
public:
    explicit ConnectionPanel(QWidget *parent = nullptr);

    SessionController::Params params() const;
    SessionController::Mode mode() const;
    void setMode(SessionController::Mode mode);
    void setUrl(const QString &url);
    void setBotUrl(const QString &url);
    QString botUrl() const;
    void setStatus(SessionController::Status status, const QString &text);
    void setActive(bool active); // connect button text
    QString statusText() const;
    QString twiml() const;

    void saveSettings(QSettings &s) const;
    void loadSettings(const QSettings &s);

Q_SIGNALS:
    void connectRequested();
    void disconnectRequested();
    void modeChanged(pacelab::ui::SessionController::Mode mode);

private:
    void updateTwiml();

    QComboBox *m_mode;
    QStackedWidget *m_pages;
    QLineEdit *m_url;
    QLineEdit *m_listenHost;
    QSpinBox *m_listenPort;
    QLineEdit *m_publicUrl;
    QPlainTextEdit *m_twiml;
    QLineEdit *m_botUrl;
    QLineEdit *m_authToken;
    QLineEdit *m_customParams;
    QPushButton *m_connect;
    QLabel *m_status;
    bool m_active = false;
};

} // namespace pacelab::ui

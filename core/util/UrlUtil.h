#pragma once

#include <QString>
#include <QUrl>

namespace pacelab {

// Why a text is not a WebSocket URL PaceLab can connect to. The rules are shared by the CLI
// options and the window's URL fields; each words the message its own way (an option name on
// the command line, a sentence in the window).
enum class WsUrlError {
    None,
    Empty,       // nothing but spaces
    Malformed,   // QUrl (strict mode) refuses it; see *detail
    NoScheme,    // e.g. "example.com/stream"
    WrongScheme, // not ws:// or wss:// (e.g. http://)
    NoHost,      // e.g. "ws:///path"
    PortZero,    // ":0" is not a destination
};

// Leading and trailing spaces are ignored (a pasted URL often carries a newline). On success
// *url is set; on Malformed, *detail (if given) receives QUrl's explanation.
WsUrlError parseWebSocketUrl(const QString &text, QUrl *url, QString *detail = nullptr);

} // namespace pacelab

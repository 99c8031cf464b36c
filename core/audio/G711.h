#pragma once

#include <QByteArray>
#include <QtGlobal>

// ITU-T G.711 mu-law and A-law, bit-exact. Table-driven: encode is one lookup per sample.
namespace pacelab::g711 {

quint8 linearToMulaw(qint16 sample);
qint16 mulawToLinear(quint8 code);
quint8 linearToAlaw(qint16 sample);
qint16 alawToLinear(quint8 code);

// Bulk helpers used on the hot path.
QByteArray encodeMulaw(const qint16 *samples, qsizetype count);
void decodeMulaw(const QByteArray &codes, qint16 *out); // out holds codes.size() samples
QByteArray encodeAlaw(const qint16 *samples, qsizetype count);
void decodeAlaw(const QByteArray &codes, qint16 *out);

constexpr quint8 kMulawSilence = 0xFF; // encodes 0
constexpr quint8 kAlawSilence = 0xD5;

} // namespace pacelab::g711

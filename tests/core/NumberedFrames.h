#pragma once

// Test frames that carry their own number, so a receiver can check order and loss: a silence
// frame (mu-law 0xFF) with bit k of the number as 0x7F in byte k (both decode to 0: still
// silence). 12 bits: frames 0..4095.

#include <QByteArray>

namespace pacelab::test {

inline QByteArray numbered(int n)
{
    QByteArray f(160, char(0xFF));
    for (int k = 0; k < 12; ++k)
        if ((n >> k) & 1)
            f[k] = char(0x7F);
    return f;
}

inline int numberOf(const QByteArray &f)
{
    int n = 0;
    for (int k = 0; k < 12 && k < f.size(); ++k)
        if (quint8(f[k]) == 0x7F)
            n |= 1 << k;
    return n;
}

} // namespace pacelab::test

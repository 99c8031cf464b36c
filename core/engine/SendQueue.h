#pragma once

#include "engine/TxQueue.h"
#include "provider/Provider.h"

#include <QByteArray>
#include <QString>

#include <deque>
#include <functional>
#include <vector>

namespace pacelab {

// One message on its way from the clock to the socket, already encoded by the provider profile.
struct Outgoing
{
    QByteArray data;     // the WebSocket message: JSON text, or Vonage's binary audio frame
    bool binary = false; // send as a binary WebSocket message
    bool isMedia = false;
    bool comfort = false;
    QString markName;
    qint64 enqueuedNs = 0;
    // Media only: the slot it was released for (its deadline and its place on the ideal grid),
    // so its lateness is measured when it reaches the kernel, however long it waited here.
    qint64 slotDeadlineNs = 0;
    qint64 slotGridNs = 0;
};

// The clock's side of one stream's outbound path, apart from any socket or clock: pops the next
// slot's traffic from the tx queue and encodes it ahead of the deadline ("prepared"), then at
// the deadline moves it to the send queue, which the writer drains while the socket keeps up.
// PacedSender and every stream of MultiStreamSender each own one. One thread only.
class SendQueue
{
public:
    struct Release
    {
        bool hasMedia = false;  // a frame was among the released traffic
        bool fromQueue = false; // ... and it was real queued audio, not comfort silence
    };

    // capacity: the send queue's bound in messages (0 = unbounded). provider: how media, marks
    // and clear are encoded; comfort silence is one frame of its outbound format's silence.
    explicit SendQueue(int capacity = 0, provider::Id provider = provider::Id::Twilio);

    const provider::Profile &profile() const { return *m_profile; }
    // The provider's clear message for this stream (sent by the owner, not queued).
    provider::WireMessage encodeClear(const QString &streamSid) const { return m_profile->encodeClear(streamSid); }

    // Marks ahead of the next frame, the frame (or comfort silence), then the marks right behind
    // it: a mark leaves with the audio it follows. Nothing when the queue holds nothing (and
    // comfort is off).
    void prepareNext(TxQueue &queue, const QString &streamSid, bool comfortSilence);
    bool hasPrepared() const { return !m_prepared.empty(); }
    // Moves the prepared traffic to the send queue; media is stamped with its slot.
    Release release(qint64 slotDeadlineNs, qint64 slotGridNs);

    bool isFull() const { return m_capacity > 0 && int(m_queue.size()) >= m_capacity; }
    bool isEmpty() const { return m_queue.empty(); }
    int size() const { return int(m_queue.size()); }
    int pending() const { return int(m_queue.size() + m_prepared.size()); } // queued + prepared
    int clear(); // drops both; returns how many

    // Writes from the head while canWrite() says the socket keeps up and write() succeeds.
    // Returns how many were written.
    int pump(const std::function<bool()> &canWrite, const std::function<bool(const Outgoing &)> &write);

private:
    void prepareMark(const TxItem &item, const QString &streamSid);

    int m_capacity = 0;
    const provider::Profile *m_profile;
    QByteArray m_silence; // one comfort frame
    std::vector<Outgoing> m_prepared; // popped and encoded ahead of the deadline
    std::deque<Outgoing> m_queue;     // clock -> socket writer
};

} // namespace pacelab

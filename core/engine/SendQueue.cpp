#include "engine/SendQueue.h"

namespace pacelab {

SendQueue::SendQueue(int capacity, provider::Id provider)
    : m_capacity(capacity), m_profile(&provider::profile(provider)), m_silence(m_profile->outboundFormat().silenceFrame())
{
}

void SendQueue::prepareMark(const TxItem &item, const QString &streamSid)
{
    Outgoing o;
    const provider::WireMessage w = m_profile->encodeMark(streamSid, item.markName);
    o.data = w.data;
    o.binary = w.binary;
    o.markName = item.markName;
    o.enqueuedNs = item.enqueuedNs;
    m_prepared.push_back(std::move(o));
}

void SendQueue::prepareNext(TxQueue &queue, const QString &streamSid, bool comfortSilence)
{
    std::optional<TxItem> item = queue.tryPop();
    while (item.has_value() && item->kind == TxItem::Mark) {
        prepareMark(*item, streamSid);
        item = queue.tryPop();
    }
    Outgoing o;
    o.isMedia = true;
    provider::WireMessage w;
    if (item) {
        w = m_profile->encodeMedia(streamSid, item->payload);
        o.enqueuedNs = item->enqueuedNs;
    } else if (comfortSilence) {
        w = m_profile->encodeMedia(streamSid, m_silence);
        o.comfort = true;
    } else {
        return; // marks alone, if any
    }
    o.data = std::move(w.data);
    o.binary = w.binary;
    m_prepared.push_back(std::move(o));
    while (auto m = queue.tryPopMark())
        prepareMark(*m, streamSid);
}

SendQueue::Release SendQueue::release(qint64 slotDeadlineNs, qint64 slotGridNs)
{
    Release r;
    for (auto &o : m_prepared) {
        if (o.isMedia) {
            r.hasMedia = true;
            r.fromQueue |= !o.comfort;
            o.slotDeadlineNs = slotDeadlineNs;
            o.slotGridNs = slotGridNs;
        }
        m_queue.push_back(std::move(o));
    }
    m_prepared.clear();
    return r;
}

int SendQueue::clear()
{
    const int n = pending();
    m_queue.clear();
    m_prepared.clear();
    return n;
}

int SendQueue::pump(const std::function<bool()> &canWrite, const std::function<bool(const Outgoing &)> &write)
{
    int written = 0;
    while (!m_queue.empty() && canWrite()) {
        Outgoing o = std::move(m_queue.front());
        m_queue.pop_front();
        if (!write(o))
            break;
        ++written;
    }
    return written;
}

} // namespace pacelab

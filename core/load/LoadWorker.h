#pragma once

#include "load/CallMetrics.h"
#include "load/LoadTypes.h"

#include "audio/AudioFormat.h"
#include "emulator/EmulatedCall.h"

#include <QList>
#include <QObject>
#include <QUrl>

#include <memory>
#include <vector>

class QTimer;

namespace pacelab {

// What every call of a load run does (shared, read-only, by all workers).
struct LoadCallPlan
{
    QUrl botUrl;
    EmulatorOptions call;        // caller audio already encoded in the provider's inbound format (CallerAudio::encoded)
    int connectTimeoutMs = 10000;
    double bargeInEverySec = 0.0;
    PcmBuffer bargeInSpeech;     // mono, any rate (resampled to the provider's once per probe)
    int bargeInTailMs = 2000;
    double dtmfAtSec = 2.0;
};

// One event loop carrying many calls: lives on its own QThread (moved there by LoadEmulator),
// owns the calls' sockets and ONE precise timer on the 20 ms grid. Each tick serves every call
// due (inbound frames, playout, seconds, probes, connect timeouts); there is no timer per call.
// Every call's inbound frames are aligned to this grid, so one wake sends all of them.
// All methods run on the worker's thread (LoadEmulator calls them through invokeMethod).
class LoadWorker final : public QObject
{
    Q_OBJECT
public:
    explicit LoadWorker(const LoadCallPlan &plan, QObject *parent = nullptr);
    ~LoadWorker() override;

    // Opens the WebSocket of one call now; its result carries index/SIDs/shard as given.
    void placeCall(const CallResult &identity);
    // Ends every call (`stop`, then a normal close); their results are final from here.
    void endAll();
    // Results of every call placed since the last clear(), as of now.
    QList<CallResult> results() const;
    // Forget the calls (after endAll) and release their sockets.
    void clear();
    // CPU time this thread has used so far, seconds.
    double threadCpuSec() const;
    int callCount() const { return int(m_calls.size()); }

private:
    struct Call;
    void tick();
    void armTick();
    void onConnected(Call *c);
    void onDisconnected(Call *c);
    void onError(Call *c);
    void finishCall(Call *c, qint64 nowUs, const QString &reason, bool dropped);
    static qint64 nowUs();

    LoadCallPlan m_plan;
    QTimer *m_tick = nullptr;
    qint64 m_gridOriginUs = 0;
    std::vector<std::unique_ptr<Call>> m_calls;
    double m_cpuAtStart = 0.0;
};

} // namespace pacelab

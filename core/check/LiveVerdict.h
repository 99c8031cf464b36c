#pragma once

#include "CheckTypes.h"

#include "emulator/EmulatorTypes.h"

#include <QList>
#include <QString>

// The live verdict badges of the window (pace, buffer, frames, schema, barge-in): the
// checklist's limits applied second by second to what the emulator (Twilio's side) reports,
// so a bad bot shows red the moment it breaks a limit, with the number. A pure function of the
// session's seconds so far: tested on synthesized seconds (tests/core/tst_liveverdict.cpp).
namespace pacelab::check {

enum class LiveState { Waiting, Ok, Broken };

struct LiveBadge
{
    QString key;      // "pace", "buffer", "frames", "schema", "bargein"
    QString name;     // "Pace"
    LiveState state = LiveState::Waiting;
    QString measured; // "49–51 fps", "max 2.31 s at 12 s", "not tried"
    QString limit;    // "50 ± 2 fps"
};

// What the last barge-in probe (the window's "Barge in now") found.
struct LiveBargeIn
{
    bool probed = false;   // a probe was started
    bool finished = false; // its window has passed
    double clearLatencyMs = -1; // caller speech -> the bot's clear; -1 = no clear (yet)
};

// seconds: every second the emulator reported this session, oldest first. A limit broken once
// stays broken for the session (the numbers are the worst so far), as the checklist judges.
QList<LiveBadge> liveVerdict(const QList<PerSecondRx> &seconds, const LiveBargeIn &bargeIn,
                             const Thresholds &th = {});

} // namespace pacelab::check

#pragma once

// The emulator's models set up for a provider profile: the arrival analytics and the playout
// model turn bytes into time through the profile's outbound MediaFormat, call a payload of
// another size non-standard, and the buffer model takes the provider's documented limits. The
// live emulator (EmulatedCall) and the replay of a capture use the same functions, so they agree.

#include "ArrivalAnalytics.h"
#include "PlayoutModel.h"
#include "provider/Provider.h"

namespace pacelab {

// `base` with the profile's format and audio size rule.
ArrivalAnalyticsConfig analyticsConfigFor(const provider::Profile &profile, ArrivalAnalyticsConfig base);
// `base` with the profile's format and buffer limits: the message limit always; the duration
// limit when the provider documents one and `base` still holds the default (a value the user
// chose, e.g. --max-buffered-ms, wins).
PlayoutConfig playoutConfigFor(const provider::Profile &profile, PlayoutConfig base);

} // namespace pacelab

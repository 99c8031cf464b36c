#pragma once

// The profile objects behind provider::profile(). Each lives in its own file
// (TwilioProfile.cpp, TelnyxProfile.cpp, ...); only Provider.cpp calls these.
#include "provider/Provider.h"

namespace pacelab::provider {

const Profile &twilioProfile();
const Profile &telnyxProfile();
const Profile &vonageProfile();
const Profile &plivoProfile();
const Profile &exotelProfile();

} // namespace pacelab::provider

#include "provider/PendingProfile.h"
#include "provider/Profiles.h"

// Placeholder until the Plivo profile is built (see PendingProfile.h).
namespace pacelab::provider {

const Profile &plivoProfile()
{
    static const PendingProfile p(Id::Plivo, "plivo", "Plivo Audio Streaming", MediaFormat::mulaw8k(), MediaFormat::mulaw8k(), false);
    return p;
}

} // namespace pacelab::provider

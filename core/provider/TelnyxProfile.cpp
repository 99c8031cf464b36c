#include "provider/PendingProfile.h"
#include "provider/Profiles.h"

// Placeholder until the Telnyx profile is built (see PendingProfile.h).
namespace pacelab::provider {

const Profile &telnyxProfile()
{
    static const PendingProfile p(Id::Telnyx, "telnyx", "Telnyx Media Streaming", MediaFormat::mulaw8k(), MediaFormat::mulaw8k(), false);
    return p;
}

} // namespace pacelab::provider
